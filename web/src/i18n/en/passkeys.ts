/** Settings → Passkey for approvals. */
export const passkeys = {
  "passkeys.title": "Passkey for approvals",
  "passkeys.intro":
    "CRITICAL calls are approved on this device only with its passkey: your fingerprint, face or screen lock confirms it is you, so someone holding the unlocked phone cannot. Without a passkey, CRITICAL is approved at the PC.",
  "passkeys.add": "Add a passkey",
  "passkeys.empty": "No passkey on this device yet.",
  "passkeys.added": "added {date}",
  "passkeys.last-used": "last used {when}",
  "passkeys.unused": "not used yet",
  "passkeys.remove": "Remove",
  "passkeys.remove-label": "Remove the passkey {name}",
  "passkeys.prompt": "Follow your device's prompt…",
  "passkeys.created": "Passkey added ({name}). This device can now approve CRITICAL calls.",
  "passkeys.removed": "Passkey removed from the PC. You may also delete it in this device's passkey settings.",
  "passkeys.at-the-pc": "ora-agent approve {id} --code <code shown by: ora-agent approvals>",
};
