/**
 * The owner's device list: who is paired, with which role, when last seen; rename and revoke.
 * Revoking needs a second, explicit click, and this device is marked so nobody locks themselves
 * out by accident.
 */
import type { Result } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, duration, h } from "./dom.js";
import { explain } from "./errors.js";

type DeviceRow = Result<"devices.list">["devices"][number];

export interface DeviceList {
  element: HTMLElement;
  refresh(): Promise<void>;
  /** The name the PC knows a device by, for the approvals inbox; the id when unknown. */
  nameOf(id: string): string;
  knows(id: string): boolean;
  /** Called after each reload of the list (names may have changed or appeared). */
  onChange(listener: () => void): void;
}

export function devicesView(connection: Connection): DeviceList {
  const list = h("ul", { class: "devices" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const element = h("section", { "aria-label": "Devices" }, h("h2", {}, "Paired devices"), status, list);
  let rows: DeviceRow[] = [];
  const listeners = new Set<() => void>();

  async function refresh(): Promise<void> {
    try {
      rows = (await connection.request("devices.list")).devices;
      status.textContent = "";
    } catch (error) {
      status.textContent = explain(error);
    }
    clear(list, ...rows.filter((row) => row.state !== "unpaired").map(item));
    for (const listener of listeners) listener();
  }

  function item(row: DeviceRow): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const seen = row.lastSeen === null ? "never seen" : `last seen ${duration(Date.now() - Date.parse(row.lastSeen))} ago`;
    const li = h(
      "li",
      { class: `device ${row.state}`, "data-id": row.id },
      h("div", { class: "device-name" }, h("strong", {}, row.name), row.self && h("span", { class: "this-device" }, " (this device)")),
      h("div", { class: "muted" }, `${row.role} · ${row.state === "active" ? seen : row.state}`),
      row.state === "active" &&
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "rename", onclick: () => rename() }, "Rename"),
          h("button", { type: "button", class: "revoke danger", onclick: (event: Event) => void revoke(event.currentTarget as HTMLButtonElement) }, "Revoke"),
        ),
      message,
    );

    function rename(): void {
      const input = h("input", { value: row.name, maxlength: 64, "aria-label": `New name for ${row.name}`, class: "new-name" });
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
        },
        input,
        h("button", { type: "submit" }, "Save"),
      );
      li.querySelector(".actions")?.replaceWith(form);
      input.select();
    }

    async function revoke(button: HTMLButtonElement): Promise<void> {
      // First click arms, second click revokes: revoking cannot be undone (the device must pair again).
      if (!button.classList.contains("armed")) {
        button.classList.add("armed");
        button.textContent = row.self ? "Revoke this device? Click again" : "Really revoke? Click again";
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

  return {
    element,
    refresh,
    nameOf: (id) => rows.find((row) => row.id === id)?.name ?? id,
    knows: (id) => rows.some((row) => row.id === id),
    onChange: (listener) => listeners.add(listener),
  };
}
