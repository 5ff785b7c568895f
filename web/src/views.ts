/**
 * Every view but the chat, built together in their own chunk: the app draws its frame and the chat
 * first, and these follow a moment later (app.ts mounts them into their tab panels).
 */
import type { Role, Task } from "@ora/protocol";
import { approvalsView } from "./approvals-view.js";
import type { Connection } from "./connection.js";
import { devicesView } from "./devices-view.js";
import { t } from "./i18n/index.js";
import { lockdownView } from "./lockdown-view.js";
import { remindersView } from "./reminders-view.js";
import type { Tab } from "./routes.js";
import { settingsView } from "./settings-view.js";
import type { SavedDevice } from "./store.js";
import { tasksView } from "./tasks-view.js";

export interface ViewHooks {
  show(tab: Tab): void;
  role(): Role | undefined;
  /** How many approvals wait (for the tab's badge). */
  onCount(count: number): void;
}

export function createViews(connection: Connection, saved: SavedDevice, hooks: ViewHooks) {
  const { show } = hooks;
  const devices = devicesView(connection, { backToSettings: () => show("settings") });
  // A device paired after the list was loaded is named once the list is loaded again.
  const asked = new Set<string>();
  const deviceName = (id: string) => {
    // Requests from the PC's Discord channel carry the Discord user's id, not a paired device's.
    if (id.startsWith("discord:")) return t("app.requester.discord", { id: id.slice("discord:".length) });
    if (hooks.role() === "owner" && !devices.knows(id) && !asked.has(id)) {
      asked.add(id);
      void devices.refresh();
    }
    return devices.nameOf(id);
  };
  const inbox = approvalsView(connection, {
    deviceName,
    thisDevice: saved.device,
    onCount: hooks.onCount,
  });
  const requesterName = (task: Task) =>
    task.requester.via === "local"
      ? t("app.requester.local")
      : task.requester.device === saved.device
        ? t("app.requester.self")
        : deviceName(task.requester.device);
  const tasks = tasksView(connection, { requesterName, decides: () => hooks.role() !== "guest", openApprovals: () => show("approvals") });
  devices.onChange(() => (inbox.render(), tasks.render()));
  const reminders = remindersView(connection);
  const settings = settingsView(connection, saved, { openDevices: () => show("devices") });
  const lockdown = lockdownView(connection);
  return { devices, inbox, tasks, reminders, settings, lockdown };
}

export type Views = ReturnType<typeof createViews>;
