/** Lockdown: the banner while the PC is locked down, and the owner's card in Settings. */
export const lockdown = {
  "lockdown.title": "Lockdown",
  "lockdown.intro":
    "When something went wrong (a lost phone, a device acting strangely): one tap stops everything. The PC refuses risky actions and new pairings, cancels what waits, pauses reminders and disconnects every device but this one.",
  "lockdown.start": "Lock down now…",
  "lockdown.confirm": "Yes, lock down",
  "lockdown.cancel": "Cancel",
  "lockdown.unlock": "Unlock with passkey",
  "lockdown.question":
    "Lock down the PC? Every other device is disconnected, waiting approvals are cancelled and reminders pause. It ends at the PC, or with an owner device's passkey.",
  "lockdown.banner":
    "Lockdown{since}, by {by}: risky actions, pairing and other devices are blocked. Only the PC (ora-agent unlock) or an owner's passkey can end it.",
  "lockdown.since": " since {since}",
  "lockdown.an-owner": "an owner",
  "lockdown.state-locked": "The PC is locked down{since}. End it with this device's passkey, or at the PC with: ora-agent unlock",
  "lockdown.state-open": "Not locked down.",
  "lockdown.locking": "Locking down…",
  "lockdown.done": "Locked down: {tasks} cancelled, {sessions}.",
  "lockdown.tasks.one": "{count} waiting task",
  "lockdown.tasks.other": "{count} waiting tasks",
  "lockdown.sessions.one": "{count} other session closed",
  "lockdown.sessions.other": "{count} other sessions closed",
  "lockdown.sessions-later": "the relay is told as soon as the PC reaches it",
  "lockdown.confirming": "Confirm with your fingerprint, face or screen lock…",
  "lockdown.ended": "Lockdown ended: the PC works as before (cancelled approvals stay cancelled).",
};
