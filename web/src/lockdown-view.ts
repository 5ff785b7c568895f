/**
 * Lockdown on this device: a banner everyone sees while the PC is locked down, and for owners a card
 * in Settings with the one button that stops everything. The button asks once more before it acts
 * (an inline confirmation, not a browser dialog). Ending it takes the PC (`ora-agent unlock`) or this
 * device's passkey (a fresh assertion with user verification, checked on the PC).
 */
import type { LockdownStatus } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { h } from "./dom.js";
import { explain } from "./errors.js";
import { confirmWithPasskey, passkeyWords } from "./passkey.js";

export interface LockdownView {
  /** Shown above the tabs while locked. */
  banner: HTMLElement;
  /** The Settings card (owners only). */
  card: HTMLElement;
  refresh(): Promise<void>;
}

export function lockdownView(connection: Connection): LockdownView {
  const banner = h("div", { class: "lockdown-banner", role: "alert", hidden: true });
  const state = h("p", { class: "lockdown-state", role: "status", "aria-live": "polite" });
  const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const start = h("button", { type: "button", class: "danger lockdown-start", onclick: () => ask(true) }, "Lock down now…");
  const yes = h("button", { type: "button", class: "armed lockdown-confirm", onclick: () => void enter() }, "Yes, lock down");
  const no = h("button", { type: "button", class: "lockdown-cancel", onclick: () => ask(false) }, "Cancel");
  const unlock = h("button", { type: "button", class: "lockdown-unlock", hidden: true, onclick: () => void exit() }, "Unlock with passkey");
  const confirm = h(
    "div",
    { class: "lockdown-confirmation", hidden: true },
    h("p", {}, "Lock down the PC? Every other device is disconnected, waiting approvals are cancelled, reminders pause, and only the PC can end it."),
    yes,
    no,
  );
  const card = h(
    "section",
    { class: "card lockdown", "aria-labelledby": "lockdown-title" },
    h("h3", { id: "lockdown-title" }, "Lockdown"),
    h(
      "p",
      { class: "muted" },
      "When something went wrong (a lost phone, a device acting strangely): one tap stops everything. The PC refuses risky actions and new pairings, cancels what waits, pauses reminders and disconnects every device but this one.",
    ),
    state,
    start,
    unlock,
    confirm,
    message,
  );

  function ask(open: boolean): void {
    confirm.hidden = !open;
    start.hidden = open;
    message.textContent = "";
  }

  function show(status: LockdownStatus): void {
    const since = status.since === null ? "" : ` since ${new Date(status.since).toLocaleString()}`;
    banner.hidden = !status.locked;
    banner.textContent = status.locked
      ? `Lockdown${since}, by ${status.by ?? "an owner"}: risky actions, pairing and other devices are blocked. Only the PC (ora-agent unlock) or an owner's passkey can end it.`
      : "";
    state.textContent = status.locked
      ? `The PC is locked down${since}. End it with this device's passkey, or at the PC with: ora-agent unlock`
      : "Not locked down.";
    start.hidden = status.locked || !confirm.hidden;
    unlock.hidden = !status.locked;
  }

  async function enter(): Promise<void> {
    yes.disabled = true;
    message.textContent = "Locking down…";
    try {
      const entered = await connection.request("lockdown.enter");
      ask(false);
      show(entered.lockdown);
      const sessions = entered.closedSessions === null ? "the relay is told as soon as the PC reaches it" : `${entered.closedSessions} other session(s) closed`;
      message.textContent = `Locked down: ${entered.cancelledTasks} waiting task(s) cancelled, ${sessions}.`;
    } catch (error) {
      message.textContent = explain(error);
    } finally {
      yes.disabled = false;
    }
  }

  async function exit(): Promise<void> {
    unlock.disabled = true;
    message.textContent = "Confirm with your fingerprint, face or screen lock…";
    try {
      const proof = await confirmWithPasskey(connection, { purpose: "unlock" });
      show((await connection.request("lockdown.exit", { proof })).lockdown);
      message.textContent = "Lockdown ended: the PC works as before (cancelled approvals stay cancelled).";
    } catch (error) {
      message.textContent = passkeyWords(error);
    } finally {
      unlock.disabled = false;
    }
  }

  connection.onPush((push) => {
    if (push.event === "lockdown") show(push.data.lockdown);
  });

  return {
    banner,
    card,
    async refresh() {
      show((await connection.request("lockdown.status")).lockdown);
    },
  };
}
