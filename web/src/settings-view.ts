/**
 * Settings of this device: notifications on or off (each device decides for itself), and what this
 * device is. Turning notifications on asks the browser's permission only when the person clicks,
 * never on page load; then it subscribes with the relay's VAPID key and hands the subscription to the
 * PC, which encrypts every notification to it.
 */
import { PushSubscription as SubscriptionJson } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { h } from "./dom.js";
import { explain } from "./errors.js";
import { passkeySettings } from "./passkeys-view.js";
import { currentSubscription, NoPushError, PushProblem, pushSupported, subscribe, unsubscribe, vapidKey } from "./push.js";
import type { SavedDevice } from "./store.js";

type NotifyState = "checking" | "unsupported" | "denied" | "no-push" | "on" | "off";

const STATE_WORDS: Record<NotifyState, string> = {
  checking: "Checking…",
  unsupported: "This browser cannot receive notifications. On iPhone and iPad, add ORA to the Home Screen first and open it from there.",
  denied: "Notifications are blocked for this site. To get them, allow notifications for this site in the browser's settings, then reload.",
  "no-push": "This relay does not send notifications: its operator has not set up Web Push.",
  on: "On: this device is notified.",
  off: "Off: this device gets no notifications.",
};

export interface Settings {
  element: HTMLElement;
  /** Checks the state again (at start and after a reconnect) and tells the PC a subscription it lacks. */
  refresh(): Promise<void>;
}

export function settingsView(connection: Connection, saved: SavedDevice): Settings {
  const state = h("p", { class: "notify-state", role: "status", "aria-live": "polite", "data-state": "checking" }, STATE_WORDS.checking);
  const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const toggle = h("button", { type: "button", class: "toggle-notify primary", hidden: true, onclick: () => void (current === "on" ? turnOff() : turnOn()) });
  const what =
    saved.role === "guest"
      ? "When on, this device shows a notification when a call of yours that waited for the owner's approval ends."
      : "When on, this device shows a notification when a call waits for your approval and when a call of yours ends.";
  // Only deciders approve anything, so only they have a passkey for approvals.
  const passkeys = saved.role === "guest" ? undefined : passkeySettings(connection, saved.name);
  const element = h(
    "section",
    { class: "settings", "aria-label": "Settings" },
    h("h2", {}, "Settings"),
    h(
      "section",
      { class: "card notifications", "aria-labelledby": "notify-title" },
      h("h3", { id: "notify-title" }, "Notifications on this device"),
      h("p", { class: "muted" }, `${what} They never show codes or secrets.`),
      state,
      toggle,
      message,
    ),
    passkeys?.element,
    h(
      "section",
      { class: "card this-device-card", "aria-labelledby": "device-title" },
      h("h3", { id: "device-title" }, "This device"),
      h("dl", {}, h("dt", {}, "Name"), h("dd", {}, saved.name), h("dt", {}, "Role"), h("dd", {}, saved.role), h("dt", {}, "Relay"), h("dd", {}, saved.relay)),
    ),
  );
  let current: NotifyState = "checking";

  function show(next: NotifyState, note = ""): void {
    current = next;
    state.dataset.state = next;
    state.textContent = STATE_WORDS[next];
    message.textContent = note;
    toggle.hidden = next !== "on" && next !== "off";
    toggle.disabled = false;
    toggle.textContent = next === "on" ? "Turn off" : "Turn on";
    toggle.classList.toggle("primary", next !== "on");
  }

  // Whether the relay does Web Push: asked once per page, and again only after a passing failure.
  let relayKey: Promise<Uint8Array> | undefined;
  function key(): Promise<Uint8Array> {
    relayKey ??= vapidKey(saved.relay);
    return relayKey.catch((error) => {
      if (!(error instanceof NoPushError)) relayKey = undefined;
      throw error;
    });
  }

  async function check(): Promise<NotifyState> {
    if (!pushSupported()) return "unsupported";
    if (Notification.permission === "denied") return "denied";
    try {
      await key();
    } catch (error) {
      if (error instanceof NoPushError) return "no-push";
      // Unreachable or odd: the subscription this browser holds still says what is on.
    }
    return (await currentSubscription()) ? "on" : "off";
  }

  async function refresh(): Promise<void> {
    void passkeys?.refresh();
    show(await check());
    if (current !== "on") return;
    try {
      // The PC may have lost it (a new state directory, a device paired again): hand it over again.
      if (!(await connection.request("notifications.status")).enabled) await tellPc(await currentSubscription());
    } catch {
      // The PC is away or does not know notifications yet; the state shown is this browser's.
    }
  }

  async function tellPc(subscription: PushSubscription | null): Promise<void> {
    const json = SubscriptionJson.safeParse(subscription?.toJSON());
    if (!json.success) throw new PushProblem("This browser's push subscription cannot be used here.");
    await connection.request("notifications.subscribe", json.data);
  }

  async function turnOn(): Promise<void> {
    busy("Turning on…");
    try {
      // The permission prompt comes first, while the click still counts as the person's own gesture.
      const permission = await Notification.requestPermission();
      if (permission !== "granted")
        return show(permission === "denied" ? "denied" : "off", permission === "denied" ? "" : "Notifications were not allowed, so they stay off.");
      const subscription = await subscribe(await key());
      try {
        await tellPc(subscription);
      } catch (error) {
        await subscription.unsubscribe();
        throw error;
      }
      show("on");
    } catch (error) {
      show(await check(), sentence(error));
    }
  }

  async function turnOff(): Promise<void> {
    busy("Turning off…");
    let note = "";
    try {
      await connection.request("notifications.unsubscribe");
    } catch (error) {
      // Without the subscription the push service refuses the PC's next notification, and it stops.
      note = `The PC could not be told right now (${explain(error)}), but this device will not show its notifications.`;
    }
    try {
      await unsubscribe();
    } catch (error) {
      note = sentence(error);
    }
    show(await check(), note);
  }

  function busy(words: string): void {
    toggle.disabled = true;
    message.textContent = words;
  }

  return { element, refresh };
}

function sentence(error: unknown): string {
  if (error instanceof NoPushError) return "";
  if (error instanceof PushProblem) return error.message;
  if (error instanceof DOMException) return `The browser could not set up notifications (${error.message}).`;
  return explain(error);
}
