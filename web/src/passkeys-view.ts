/**
 * Settings → "Passkey for approvals": this device's passkeys (add, list, remove). With one, this device
 * approves CRITICAL calls with the owner's fingerprint, face or PIN; without one, CRITICAL is approved
 * at the PC.
 */
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { formatDateTime, onLanguage, t } from "./i18n/index.js";
import { statusLine, words } from "./live-words.js";
import { type PasskeyRow, passkeyWords, registerPasskey } from "./passkey.js";

export interface PasskeySettings {
  element: HTMLElement;
  refresh(): Promise<void>;
}

export function passkeySettings(connection: Connection, deviceName: string): PasskeySettings {
  const list = h("ul", { class: "passkeys" });
  const message = h("p", { class: "status passkey-status", role: "status", "aria-live": "polite" });
  const say = statusLine(message);
  const add = h("button", { type: "button", class: "add-passkey primary", onclick: () => void create() }, words("passkeys.add"));
  const element = h(
    "section",
    { class: "card passkeys-card", "aria-labelledby": "passkey-title" },
    h("h3", { id: "passkey-title" }, words("passkeys.title")),
    h("p", { class: "muted" }, words("passkeys.intro")),
    list,
    add,
    message,
  );
  let shown: PasskeyRow[] | undefined;

  function render(): void {
    if (shown === undefined) return;
    if (shown.length === 0) return clear(list, h("li", { class: "empty" }, t("passkeys.empty")));
    clear(
      list,
      ...shown.map((p) =>
        h(
          "li",
          { class: "passkey", "data-id": p.id },
          h(
            "div",
            { class: "passkey-body" },
            h("strong", {}, p.name),
            h(
              "span",
              { class: "muted" },
              ` · ${t("passkeys.added", { date: formatDateTime(p.createdAt, { hour: undefined, minute: undefined }) })} · `,
              p.lastUsedAt ? t("passkeys.last-used", { when: formatDateTime(p.lastUsedAt) }) : h("span", { class: "tag unused" }, t("passkeys.unused")),
            ),
          ),
          h(
            "button",
            { type: "button", class: "remove-passkey", "aria-label": t("passkeys.remove-label", { name: p.name }), onclick: () => void remove(p) },
            t("passkeys.remove"),
          ),
        ),
      ),
    );
  }

  /** True while the message says why the list could not be loaded: a later load that works clears it. */
  let listFailed = false;

  async function refresh(): Promise<void> {
    try {
      shown = (await connection.request("passkeys.list")).passkeys;
      render();
      if (listFailed) say();
      listFailed = false;
    } catch (error) {
      say(() => passkeyWords(error), true);
      listFailed = true;
    }
  }

  async function create(): Promise<void> {
    add.disabled = true;
    say(() => t("passkeys.prompt"));
    try {
      const passkey = await registerPasskey(connection, deviceName);
      say(() => t("passkeys.created", { name: passkey.name }));
      await refresh();
    } catch (error) {
      say(() => passkeyWords(error), true);
    } finally {
      add.disabled = false;
    }
  }

  async function remove(passkey: PasskeyRow): Promise<void> {
    try {
      await connection.request("passkeys.remove", { id: passkey.id });
      say(() => t("passkeys.removed"));
      await refresh();
    } catch (error) {
      say(() => passkeyWords(error), true);
    }
  }

  onLanguage(render);
  return { element, refresh };
}
