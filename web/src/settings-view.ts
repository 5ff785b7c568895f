/**
 * Settings of this device: what it is (its name, which an owner may change), the language and the
 * theme it shows, notifications on or off (each device decides for itself), the way to the device
 * list for owners, and the versions of the PC's agent and of this app. Turning notifications on asks
 * the browser's permission only when the person clicks, never on page load; then it subscribes with
 * the relay's VAPID key and hands the subscription to the PC, which encrypts every notification to it.
 * Other cards (passkeys, lockdown) are their own files' business; this view only places them.
 */
import { type Role, PushSubscription as SubscriptionJson } from "@ora/protocol";
import type { PcInfo } from "./app.js";
import type { Connection } from "./connection.js";
import { clear, h, idChip } from "./dom.js";
import { explain } from "./errors.js";
import { chooseLanguage, type Key, type Language, languageChoice, t } from "./i18n/index.js";
import { passkeySettings } from "./passkeys-view.js";
import { currentSubscription, NoPushError, PushProblem, pushSupported, subscribe, unsubscribe, vapidKey } from "./push.js";
import { roleWord } from "./roles.js";
import { saveDevice, type SavedDevice } from "./store.js";
import { chooseTheme, type Theme, themeChoice } from "./theme.js";
import { clientVersion } from "./version.js";

type NotifyState = "checking" | "unsupported" | "denied" | "no-push" | "on" | "off";

const STATE_WORDS: Record<NotifyState, Key> = {
  checking: "settings.notify.checking",
  unsupported: "settings.notify.unsupported",
  denied: "settings.notify.denied",
  "no-push": "settings.notify.no-push",
  on: "settings.notify.on",
  off: "settings.notify.off",
};

/** Each language by its own name, as language pickers do, so a reader finds theirs whatever is on screen. */
const LANGUAGE_NAMES: Record<Language, string> = { en: "English", ja: "日本語" };

export interface Settings {
  element: HTMLElement;
  /** Checks the state again (at start and after a reconnect) and tells the PC a subscription it lacks. */
  refresh(): Promise<void>;
  /** Draws the words again (the language changed). */
  render(): void;
  /** The role the PC gives this device (whoami): an owner may rename it and reaches the device list here. */
  setRole(role: Role): void;
  setPc(pc: PcInfo): void;
  /** Another area's card, placed before "About". */
  addCard(card: HTMLElement): void;
}

export function settingsView(connection: Connection, saved: SavedDevice, options: { openDevices: () => void }): Settings {
  let role: Role = saved.role;
  let pc: PcInfo | undefined;
  let current: NotifyState = "checking";
  let note = "";
  let renaming = false;

  const heading = h("h2", {});
  const device = h("section", { class: "card this-device-card", "aria-labelledby": "device-title" });
  const looks = h("section", { class: "card looks-card" });
  const state = h("p", { class: "notify-state", role: "status", "aria-live": "polite", "data-state": "checking" });
  const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const toggle = h("button", { type: "button", class: "toggle-notify primary", hidden: true, onclick: () => void (current === "on" ? turnOff() : turnOn()) });
  const notifyText = h("p", { class: "muted" });
  const notifyTitle = h("h3", { id: "notify-title" });
  const notifications = h("section", { class: "card notifications", "aria-labelledby": "notify-title" }, notifyTitle, notifyText, state, toggle, message);
  // Only deciders approve anything, so only they have a passkey for approvals.
  const passkeys = saved.role === "guest" ? undefined : passkeySettings(connection, saved.name);
  const devices = h("section", { class: "card devices-card", "aria-labelledby": "devices-title", hidden: true });
  const about = h("section", { class: "card about-card", "aria-labelledby": "about-title" });
  const deviceStatus = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const element = h("section", { class: "settings" }, heading, h("div", { class: "cards" }, device, notifications, looks, devices, passkeys?.element, about));

  function render(): void {
    heading.textContent = t("settings.title");
    element.setAttribute("aria-label", t("settings.title"));
    drawDevice();
    drawLooks();
    notifyTitle.textContent = t("settings.notify.title");
    notifyText.textContent = `${t(role === "guest" ? "settings.notify.whatGuest" : "settings.notify.whatDecider")} ${t("settings.notify.noSecrets")}`;
    show(current, note);
    devices.hidden = role !== "owner";
    clear(
      devices,
      h("h3", { id: "devices-title" }, t("settings.devices.title")),
      h("p", { class: "muted" }, t("settings.devices.body")),
      h("button", { type: "button", class: "open-devices", onclick: options.openDevices }, t("settings.devices.open")),
    );
    clear(
      about,
      h("h3", { id: "about-title" }, t("settings.about.title")),
      h(
        "dl",
        {},
        h("dt", {}, t("settings.about.pc")),
        h("dd", { class: "about-pc" }, pc?.name ?? t("settings.about.unknown")),
        h("dt", {}, t("settings.about.agent")),
        h("dd", { class: "agent-version" }, pc ? `ora-agent ${pc.version}` : t("settings.about.unknown")),
        h("dt", {}, t("settings.about.client")),
        h("dd", { class: "client-version" }, `ORA web ${clientVersion}`),
      ),
    );
  }

  function drawDevice(): void {
    const input = h("input", { value: saved.name, maxlength: 64, required: true, "aria-label": t("settings.device.newName"), class: "new-name" });
    const startRenaming = () => {
      renaming = true;
      drawDevice();
      device.querySelector<HTMLInputElement>(".new-name")?.select();
    };
    const stopRenaming = () => {
      renaming = false;
      drawDevice();
      device.querySelector<HTMLButtonElement>(".rename-self")?.focus();
    };
    const name = renaming
      ? h(
          "form",
          {
            class: "rename-form",
            onsubmit: (event: Event) => (event.preventDefault(), void rename(input.value)),
            onkeydown: (event: Event) => (event as KeyboardEvent).key === "Escape" && stopRenaming(),
          },
          input,
          h("button", { type: "submit", class: "primary" }, t("settings.device.save")),
          h("button", { type: "button", onclick: stopRenaming }, t("settings.device.cancel")),
        )
      : h(
          "span",
          { class: "name-line" },
          h("strong", { class: "device-own-name" }, saved.name),
          role === "owner" && h("button", { type: "button", class: "link rename-self", onclick: startRenaming }, t("settings.device.rename")),
        );
    clear(
      device,
      h("h3", { id: "device-title" }, t("settings.device.title")),
      h(
        "dl",
        {},
        h("dt", {}, t("settings.device.name")),
        h("dd", {}, name),
        h("dt", {}, t("settings.device.role")),
        h("dd", {}, roleWord(role)),
        h("dt", {}, t("settings.device.id")),
        h("dd", {}, idChip(saved.device, t("settings.device.id"))),
        h("dt", {}, t("settings.device.relay")),
        h("dd", {}, new URL(saved.relay).host),
      ),
      deviceStatus,
    );
  }

  async function rename(name: string): Promise<void> {
    try {
      const result = await connection.request("devices.rename", { id: saved.device, name });
      saved.name = result.name;
      await saveDevice(saved);
      renaming = false;
      drawDevice();
      deviceStatus.textContent = t("settings.device.renamed", { name: result.name });
    } catch (error) {
      deviceStatus.textContent = explain(error);
    }
  }

  function drawLooks(): void {
    const language = languageChoice();
    const theme = themeChoice();
    clear(
      looks,
      group<Language>(
        "language",
        t("settings.language.title"),
        [[null, t("settings.language.system")], ...Object.entries(LANGUAGE_NAMES).map(([code, words]) => [code as Language, words] as [Language, string])],
        language,
        (choice) => chooseLanguage(choice),
      ),
      group<Theme>(
        "theme",
        t("settings.theme.title"),
        [
          [null, t("settings.theme.system")],
          ["light", t("settings.theme.light")],
          ["dark", t("settings.theme.dark")],
        ],
        theme,
        (choice) => (chooseTheme(choice), drawLooks()),
      ),
    );
  }

  function show(next: NotifyState, words = ""): void {
    current = next;
    note = words;
    state.dataset.state = next;
    state.textContent = t(STATE_WORDS[next]);
    message.textContent = words;
    toggle.hidden = next !== "on" && next !== "off";
    toggle.disabled = false;
    toggle.textContent = t(next === "on" ? "settings.notify.turnOff" : "settings.notify.turnOn");
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
    show(await check(), note);
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
    if (!json.success) throw new PushProblem(t("settings.notify.unusable"));
    await connection.request("notifications.subscribe", json.data);
  }

  async function turnOn(): Promise<void> {
    busy(t("settings.notify.turningOn"));
    try {
      // The permission prompt comes first, while the click still counts as the person's own gesture.
      const permission = await Notification.requestPermission();
      if (permission !== "granted") return show(permission === "denied" ? "denied" : "off", permission === "denied" ? "" : t("settings.notify.notAllowed"));
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
    busy(t("settings.notify.turningOff"));
    let words = "";
    try {
      await connection.request("notifications.unsubscribe");
    } catch (error) {
      // Without the subscription the push service refuses the PC's next notification, and it stops.
      words = t("settings.notify.pcNotTold", { why: explain(error) });
    }
    try {
      await unsubscribe();
    } catch (error) {
      words = sentence(error);
    }
    show(await check(), words);
  }

  function busy(words: string): void {
    toggle.disabled = true;
    message.textContent = words;
  }

  render();
  return {
    element,
    refresh,
    render,
    setRole: (next) => ((role = next), render()),
    setPc: (next) => ((pc = next), render()),
    addCard: (card) => about.before(card),
  };
}

/** A choice among a few, as radio buttons (arrow keys move, the browser does the rest); null stands for "as the device says". */
function group<T extends string>(
  name: string,
  legend: string,
  choices: [T | null, string][],
  chosen: T | null,
  onChoose: (choice: T | null) => void,
): HTMLElement {
  return h(
    "fieldset",
    { class: `choice choice-${name}` },
    h("legend", {}, legend),
    h(
      "div",
      { class: "segments" },
      ...choices.map(([value, words]) =>
        h(
          "label",
          { class: "segment" },
          h("input", {
            type: "radio",
            name,
            value: value ?? "system",
            checked: value === chosen,
            onchange: () => onChoose(value),
          }),
          h("span", {}, words),
        ),
      ),
    ),
  );
}

function sentence(error: unknown): string {
  if (error instanceof NoPushError) return "";
  if (error instanceof PushProblem) return error.message;
  if (error instanceof DOMException) return t("settings.notify.browserFailed", { why: error.message });
  return explain(error);
}
