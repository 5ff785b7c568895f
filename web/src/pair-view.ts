/**
 * Pairing this browser with a PC. The page says who ORA is and what is about to happen (the code
 * from the PC, six digits to compare, the PC's owner confirms), then asks for the code (unless a
 * pairing link brought it: main.ts has already taken it out of the address bar and history) and a
 * name for this device.
 */
import { OraError, pairDevice, parsePairingCode, type PairingCode } from "@ora/protocol";
import { clear, h } from "./dom.js";
import { explain } from "./errors.js";
import { t } from "./i18n/index.js";
import { keyIsProtected, newDeviceKey, staticKeyOf } from "./keys.js";
import { saveDevice, type SavedDevice } from "./store.js";

export function pairView(root: HTMLElement, options: { link: string | undefined; alreadyPaired: boolean; onPaired: (device: SavedDevice) => void }): void {
  const fromLink = options.link;
  const relay = location.origin;

  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const name = h("input", {
    id: "device-name",
    name: "name",
    value: defaultName(),
    maxlength: 64,
    required: true,
    autocomplete: "off",
    "aria-describedby": "device-name-hint",
  });
  const codeInput = h("input", {
    id: "code",
    name: "code",
    placeholder: "7-orbit-velvet-cannon",
    autocomplete: "off",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
  });
  const codeLabel = () => h("label", { for: "code" }, ...withCommand(t("pair.codeLabel", { command: MARK })));
  const button = h("button", { type: "submit", class: "primary" }, t("pair.submit"));
  let preset: PairingCode | undefined;
  let presetError: unknown;
  if (fromLink !== undefined) {
    try {
      preset = parsePairingCode(fromLink);
      if (preset.relay !== relay) throw new Error("another relay");
    } catch (error) {
      presetError = error;
      preset = undefined;
    }
  }

  const nameField = h(
    "div",
    { class: "field" },
    h("label", { for: "device-name" }, t("pair.nameLabel")),
    name,
    h("p", { id: "device-name-hint", class: "hint muted" }, t("pair.nameHint")),
  );
  const codeField = preset
    ? h("p", { class: "field" }, `${t("pair.linkCode")} `, h("code", { class: "code" }, `${preset.nameplate}-…`))
    : h("div", { class: "field" }, codeLabel(), codeInput);
  const form = h(
    "form",
    { class: "card pair", "aria-labelledby": "pair-title", onsubmit: (event: Event) => void submit(event) },
    h("h2", { id: "pair-title" }, t("pair.title")),
    options.alreadyPaired && h("p", { class: "warn" }, t("pair.already")),
    codeField,
    nameField,
    button,
    status,
  );
  const intro = h(
    "section",
    { class: "pair-intro", "aria-labelledby": "pair-how" },
    h("h2", { id: "pair-how" }, t("pair.how")),
    h(
      "ol",
      { class: "steps" },
      h("li", {}, ...withCommand(t("pair.step.code", { command: MARK }))),
      h("li", {}, t("pair.step.digits")),
      h("li", {}, t("pair.step.confirm")),
    ),
    h("p", { class: "muted private" }, t("pair.private")),
    h("p", { class: "muted relay-line" }, `${t("pair.relay")}: `, h("span", { class: "relay" }, new URL(relay).host)),
  );
  root.className = "pairing";
  clear(
    root,
    h(
      "main",
      { class: "pair-page" },
      h(
        "header",
        { class: "hero" },
        h("img", { src: "/icon.svg", alt: "", class: "hero-icon", width: 64, height: 64 }),
        h("h1", {}, t("app.name")),
        h("p", { class: "tagline" }, t("app.tagline")),
      ),
      h("div", { class: "pair-columns" }, form, intro),
    ),
  );
  document.title = `${t("pair.title")} · ${t("app.name")}`;
  void keyIsProtected().then((ok) => ok || form.insertBefore(h("p", { class: "warn key-fallback" }, t("pair.keyFallback")), button));
  if (presetError)
    status.textContent = t("pair.badLink", {
      why: presetError instanceof Error && presetError.message === "another relay" ? t("pair.otherRelay") : explain(presetError),
    });

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    button.disabled = true;
    status.className = "status";
    status.textContent = t("pair.connecting");
    try {
      const code = preset ?? parsePairingCode(codeInput.value);
      const stored = await newDeviceKey();
      const paired = await pairDevice({
        code,
        relay,
        name: name.value.trim() || defaultName(),
        key: staticKeyOf(stored),
        onVerification: (digits) => {
          clear(status, `${t("pair.compare")} `, h("strong", { class: "digits" }, digits), h("br", {}), t("pair.waiting"));
        },
      });
      // Used once, successfully or not, a link's code is gone; don't offer it again.
      preset = undefined;
      const { grant, identity } = paired;
      const device: SavedDevice = {
        relay: identity.relay,
        node: grant.node,
        device: grant.device,
        name: grant.name,
        role: grant.role,
        credential: grant.credential,
        agentPublicKey: identity.agentPublicKey,
        key: stored,
      };
      await saveDevice(device);
      options.onPaired(device);
    } catch (error) {
      if (preset) {
        // A link's code is single-use: after a failure the person needs a new one.
        preset = undefined;
        codeField.replaceWith(h("div", { class: "field" }, codeLabel(), codeInput));
      }
      status.className = "status error";
      // At pairing, "not found" means the offer is gone: it expired, or it was used and burnt.
      status.textContent = error instanceof OraError && error.code === "not_found" ? t("pair.noOffer") : explain(error);
      button.disabled = false;
    }
  }
}

/** Stands for the command in a sentence, so the sentence can show it as code (it never occurs in a catalogue). */
const MARK = "\u0000";

/** A sentence with the pairing command in it, the command as code that does not break across lines. */
function withCommand(sentence: string): (string | HTMLElement)[] {
  return sentence.split(MARK).flatMap((part, i) => (i === 0 ? [part] : [h("code", { class: "command" }, "ora-agent pair"), part]));
}

/** "Chrome on Android" / "AndroidのChrome": what a person would call this browser in a device list. */
function defaultName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua)
    ? "Firefox"
    : /Edg\//.test(ua)
      ? "Edge"
      : /Chrom(e|ium)\//.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : t("pair.browser");
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone/.test(ua)
      ? "iPhone"
      : /iPad/.test(ua)
        ? "iPad"
        : /Mac OS/.test(ua)
          ? "Mac"
          : /Windows/.test(ua)
            ? "Windows"
            : /Linux/.test(ua)
              ? "Linux"
              : "";
  return os ? t("pair.defaultName", { browser, os }) : browser;
}
