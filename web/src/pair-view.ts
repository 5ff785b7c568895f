/**
 * Pairing this browser with a PC. Opened from a pairing link (`/pair#<code>`) it first says what is
 * about to happen: which relay, that the PC's owner confirms, and the digits to compare; typing the
 * code works too. (main.ts has already taken the code out of the address bar and history.)
 */
import { OraError, pairDevice, parsePairingCode, type PairingCode } from "@ora/protocol";
import { clear, h } from "./dom.js";
import { explain } from "./errors.js";
import { keyIsProtected, newDeviceKey, staticKeyOf } from "./keys.js";
import { saveDevice, type SavedDevice } from "./store.js";

export function pairView(root: HTMLElement, options: { link: string | undefined; alreadyPaired: boolean; onPaired: (device: SavedDevice) => void }): void {
  const fromLink = options.link;
  const relay = location.origin;

  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const name = h("input", { id: "device-name", name: "name", value: defaultName(), maxlength: 64, required: true, autocomplete: "off" });
  const codeInput = h("input", {
    id: "code",
    name: "code",
    placeholder: "7-orbit-velvet-cannon",
    autocomplete: "off",
    autocapitalize: "none",
    spellcheck: "false",
    required: true,
  });
  const button = h("button", { type: "submit", class: "primary" }, "Pair");
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

  const form = h(
    "form",
    { class: "card pair", onsubmit: (event: Event) => void submit(event) },
    h("h2", {}, "Pair this browser with your PC"),
    options.alreadyPaired && h("p", { class: "warn" }, "This browser is already paired. Pairing again replaces that pairing."),
    h(
      "ul",
      { class: "steps" },
      h("li", {}, "Relay: ", h("strong", { class: "relay" }, relay)),
      h("li", {}, "Your PC will ask its owner to confirm this device."),
      h("li", {}, "You will both see six verification digits: check that they are the same on both screens."),
    ),
    preset
      ? h("p", {}, "Pairing code from the link: ", h("code", { class: "code" }, `${preset.nameplate}-…`))
      : h("label", { for: "code" }, "Pairing code (shown by ora-agent pair)"),
    !preset && codeInput,
    h("label", { for: "device-name" }, "Name for this device"),
    name,
    button,
    status,
  );
  clear(root, form);
  void keyIsProtected().then((ok) => ok || form.insertBefore(h("p", { class: "warn key-fallback" }, KEY_FALLBACK), button));
  if (presetError)
    status.textContent = `This link cannot be used here. ${presetError instanceof Error && presetError.message === "another relay" ? "It belongs to another relay: open it as it is." : explain(presetError)} You can type a code instead.`;

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    button.disabled = true;
    status.className = "status";
    status.textContent = "Connecting to the relay…";
    try {
      const code = preset ?? parsePairingCode(codeInput.value);
      const stored = await newDeviceKey();
      const paired = await pairDevice({
        code,
        relay,
        name: name.value.trim() || defaultName(),
        key: staticKeyOf(stored),
        onVerification: (digits) => {
          clear(status, "Compare these digits with your PC's screen: ", h("strong", { class: "digits" }, digits), ". Waiting for the PC's owner to confirm…");
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
        form.insertBefore(h("label", { for: "code" }, "Pairing code (shown by ora-agent pair)"), name.previousSibling);
        form.insertBefore(codeInput, name.previousSibling);
      }
      status.className = "status error";
      // At pairing, "not found" means the offer is gone: it expired, or it was used and burnt.
      status.textContent = error instanceof OraError && error.code === "not_found" ? NO_OFFER : explain(error);
      button.disabled = false;
    }
  }
}

const NO_OFFER = "No pairing code with that number is waiting: it expired, or it was already used. Make a new one on the PC (ora-agent pair).";

export const KEY_FALLBACK =
  "This browser cannot keep the device key inside its crypto module (no WebCrypto X25519), so the key is stored in this site's storage where scripts of this site could read it.";

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
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}
