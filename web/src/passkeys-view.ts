/**
 * Settings → "Passkey for approvals": this device's passkeys (add, list, remove). With one, this device
 * approves CRITICAL calls with the owner's fingerprint, face or PIN; without one, CRITICAL is approved
 * at the PC.
 */
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { type PasskeyRow, passkeyWords, registerPasskey } from "./passkey.js";

export interface PasskeySettings {
  element: HTMLElement;
  refresh(): Promise<void>;
}

export function passkeySettings(connection: Connection, deviceName: string): PasskeySettings {
  const list = h("ul", { class: "passkeys" });
  const message = h("p", { class: "status passkey-status", role: "status", "aria-live": "polite" });
  const add = h("button", { type: "button", class: "add-passkey primary", onclick: () => void create() }, "Add a passkey");
  const element = h(
    "section",
    { class: "card passkeys-card", "aria-labelledby": "passkey-title" },
    h("h3", { id: "passkey-title" }, "Passkey for approvals"),
    h(
      "p",
      { class: "muted" },
      "CRITICAL calls are approved on this device only with its passkey: your fingerprint, face or screen lock confirms it is you, " +
        "so someone holding the unlocked phone cannot. Without a passkey, CRITICAL is approved at the PC.",
    ),
    list,
    add,
    message,
  );

  function show(passkeys: PasskeyRow[]): void {
    if (passkeys.length === 0) return clear(list, h("li", { class: "empty" }, "No passkey on this device yet."));
    clear(
      list,
      ...passkeys.map((p) =>
        h(
          "li",
          { class: "passkey", "data-id": p.id },
          h("strong", {}, p.name),
          ` · added ${new Date(p.createdAt).toLocaleDateString()}`,
          p.lastUsedAt ? ` · last used ${new Date(p.lastUsedAt).toLocaleString()}` : " · not used yet",
          " ",
          h("button", { type: "button", class: "remove-passkey", onclick: () => void remove(p) }, "Remove"),
        ),
      ),
    );
  }

  /** True while the message says why the list could not be loaded: a later load that works clears it. */
  let listFailed = false;

  async function refresh(): Promise<void> {
    try {
      show((await connection.request("passkeys.list")).passkeys);
      if (listFailed) message.textContent = "";
      listFailed = false;
    } catch (error) {
      message.textContent = passkeyWords(error);
      listFailed = true;
    }
  }

  async function create(): Promise<void> {
    add.disabled = true;
    message.textContent = "Follow your device's prompt…";
    try {
      const passkey = await registerPasskey(connection, deviceName);
      message.textContent = `Passkey added (${passkey.name}). This device can now approve CRITICAL calls.`;
      await refresh();
    } catch (error) {
      message.textContent = passkeyWords(error);
    } finally {
      add.disabled = false;
    }
  }

  async function remove(passkey: PasskeyRow): Promise<void> {
    try {
      await connection.request("passkeys.remove", { id: passkey.id });
      message.textContent = "Passkey removed from the PC. You may also delete it in this device's passkey settings.";
      await refresh();
    } catch (error) {
      message.textContent = passkeyWords(error);
    }
  }

  return { element, refresh };
}
