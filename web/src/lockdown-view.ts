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
import { formatDateTime, onLanguage, plural, t } from "./i18n/index.js";
import { statusLine, words } from "./live-words.js";
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
  const say = statusLine(message);
  const start = h("button", { type: "button", class: "danger lockdown-start", onclick: () => ask(true) }, words("lockdown.start"));
  const yes = h("button", { type: "button", class: "armed lockdown-confirm", onclick: () => void enter() }, words("lockdown.confirm"));
  const no = h("button", { type: "button", class: "lockdown-cancel", onclick: () => ask(false) }, words("lockdown.cancel"));
  const unlock = h("button", { type: "button", class: "lockdown-unlock", hidden: true, onclick: () => void exit() }, words("lockdown.unlock"));
  const confirm = h("div", { class: "lockdown-confirmation", hidden: true }, h("p", {}, words("lockdown.question")), h("div", { class: "actions" }, yes, no));
  const card = h(
    "section",
    { class: "card lockdown", "aria-labelledby": "lockdown-title" },
    h("h3", { id: "lockdown-title" }, words("lockdown.title")),
    h("p", { class: "muted" }, words("lockdown.intro")),
    state,
    h("div", { class: "actions" }, start, unlock),
    confirm,
    message,
  );
  let current: LockdownStatus | undefined;

  function ask(open: boolean): void {
    confirm.hidden = !open;
    start.hidden = open || current?.locked === true;
    say();
    (open ? no : start).focus();
  }

  function show(status: LockdownStatus): void {
    current = status;
    const since = status.since === null ? "" : t("lockdown.since", { since: formatDateTime(status.since) });
    banner.hidden = !status.locked;
    banner.textContent = status.locked ? t("lockdown.banner", { since, by: status.by ?? t("lockdown.an-owner") }) : "";
    state.textContent = status.locked ? t("lockdown.state-locked", { since }) : t("lockdown.state-open");
    state.classList.toggle("locked", status.locked);
    start.hidden = status.locked || !confirm.hidden;
    unlock.hidden = !status.locked;
  }

  async function enter(): Promise<void> {
    yes.disabled = true;
    say(() => t("lockdown.locking"));
    try {
      const entered = await connection.request("lockdown.enter");
      confirm.hidden = true;
      show(entered.lockdown);
      say(() =>
        t("lockdown.done", {
          tasks: plural("lockdown.tasks", entered.cancelledTasks),
          sessions: entered.closedSessions === null ? t("lockdown.sessions-later") : plural("lockdown.sessions", entered.closedSessions),
        }),
      );
    } catch (error) {
      say(() => explain(error), true);
    } finally {
      yes.disabled = false;
    }
  }

  async function exit(): Promise<void> {
    unlock.disabled = true;
    say(() => t("lockdown.confirming"));
    try {
      const proof = await confirmWithPasskey(connection, { purpose: "unlock" });
      show((await connection.request("lockdown.exit", { proof })).lockdown);
      say(() => t("lockdown.ended"));
    } catch (error) {
      say(() => passkeyWords(error), true);
    } finally {
      unlock.disabled = false;
    }
  }

  connection.onPush((push) => {
    if (push.event === "lockdown") show(push.data.lockdown);
  });
  onLanguage(() => current && show(current));

  return {
    banner,
    card,
    async refresh() {
      show((await connection.request("lockdown.status")).lockdown);
    },
  };
}
