/**
 * The owner's device list: who is paired, with which role, when last seen; rename and revoke.
 * Revoking needs a second, explicit click, and this device is marked so nobody locks themselves
 * out by accident. On a phone the list is reached from Settings, so it has a way back there.
 */
import type { Result } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, h, icon, idChip } from "./dom.js";
import { explain } from "./errors.js";
import { formatDateTime, formatRelative, type Key, t } from "./i18n/index.js";
import { roleWord } from "./roles.js";

type DeviceRow = Result<"devices.list">["devices"][number];

const STATE_WORDS: Record<Exclude<DeviceRow["state"], "active">, Key> = {
  revoked: "devices.state.revoked",
  expired: "devices.state.expired",
  unpaired: "devices.state.unpaired",
};

export interface DeviceList {
  element: HTMLElement;
  refresh(): Promise<void>;
  /** Draws the list again from what was last loaded (the language changed). */
  render(): void;
  /** The name the PC knows a device by, for the approvals inbox; the id when unknown. */
  nameOf(id: string): string;
  knows(id: string): boolean;
  /** Called after each reload of the list (names may have changed or appeared). */
  onChange(listener: () => void): void;
}

export function devicesView(connection: Connection, options: { backToSettings: () => void }): DeviceList {
  const list = h("ul", { class: "devices" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const heading = h("h2", {});
  const back = h("button", { type: "button", class: "link back-to-settings", onclick: options.backToSettings });
  const element = h("section", { class: "devices-view" }, back, heading, status, list);
  let rows: DeviceRow[] = [];
  const listeners = new Set<() => void>();

  async function refresh(): Promise<void> {
    try {
      rows = (await connection.request("devices.list")).devices;
      status.textContent = "";
    } catch (error) {
      status.textContent = explain(error);
    }
    render();
    for (const listener of listeners) listener();
  }

  function render(): void {
    heading.textContent = t("devices.title");
    element.setAttribute("aria-label", t("app.tab.devices"));
    clear(back, icon("back"), t("app.backToSettings"));
    // This device first: it is the one a person looks for.
    const shown = rows.filter((row) => row.state !== "unpaired").sort((a, b) => Number(b.self) - Number(a.self));
    clear(list, ...shown.map(item));
  }

  function item(row: DeviceRow): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const seen = row.lastSeen === null ? t("devices.never") : t("devices.lastSeen", { when: formatRelative(Date.parse(row.lastSeen)) });
    const actions = h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "rename", onclick: () => rename() }, t("devices.rename")),
      h(
        "button",
        { type: "button", class: "revoke danger", onclick: (event: Event) => void revoke(event.currentTarget as HTMLButtonElement) },
        t("devices.revoke"),
      ),
    );
    const li = h(
      "li",
      { class: `device ${row.state}`, "data-id": row.id },
      h("div", { class: "device-name" }, h("strong", {}, row.name), row.self && h("span", { class: "this-device" }, t("app.thisDevice"))),
      h(
        "p",
        { class: "device-meta muted" },
        h("span", {}, roleWord(row.role)),
        " · ",
        h("span", {}, row.state === "active" ? seen : t(STATE_WORDS[row.state])),
        row.pairedAt !== null && " · ",
        row.pairedAt !== null &&
          h(
            "span",
            { title: formatDateTime(Date.parse(row.pairedAt)) },
            t("devices.pairedAt", { when: formatDateTime(Date.parse(row.pairedAt), { hour: undefined, minute: undefined }) }),
          ),
      ),
      idChip(row.id, t("devices.id")),
      row.state === "active" && actions,
      message,
    );

    function rename(): void {
      const input = h("input", { value: row.name, maxlength: 64, required: true, "aria-label": t("devices.newName", { name: row.name }), class: "new-name" });
      const cancel = () => {
        form.replaceWith(actions);
        actions.querySelector<HTMLButtonElement>(".rename")?.focus();
      };
      const form = h(
        "form",
        {
          class: "rename-form",
          onsubmit: async (event: Event) => {
            event.preventDefault();
            try {
              await connection.request("devices.rename", { id: row.id, name: input.value });
              await refresh();
            } catch (error) {
              message.textContent = explain(error);
            }
          },
          onkeydown: (event: Event) => (event as KeyboardEvent).key === "Escape" && cancel(),
        },
        input,
        h("button", { type: "submit", class: "primary" }, t("devices.save")),
        h("button", { type: "button", onclick: cancel }, t("devices.cancel")),
      );
      actions.replaceWith(form);
      input.select();
    }

    async function revoke(button: HTMLButtonElement): Promise<void> {
      // First click arms, second click revokes: revoking cannot be undone (the device must pair again).
      if (!button.classList.contains("armed")) {
        button.classList.add("armed");
        button.textContent = t(row.self ? "devices.revokeSelf" : "devices.revokeOther");
        return;
      }
      button.disabled = true;
      try {
        await connection.request("devices.revoke", { id: row.id });
        await refresh();
      } catch (error) {
        message.textContent = explain(error);
        button.disabled = false;
      }
    }
    return li;
  }

  render();
  return {
    element,
    refresh,
    render,
    nameOf: (id) => rows.find((row) => row.id === id)?.name ?? id,
    knows: (id) => rows.some((row) => row.id === id),
    onChange: (listener) => listeners.add(listener),
  };
}
