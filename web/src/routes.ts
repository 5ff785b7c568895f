/**
 * The app's own addresses, after the #: `#chat`, `#tasks`, `#tasks/<id>`, `#approvals`, `#devices`,
 * `#settings`. Notifications lead to `/#approvals` and `/#tasks/<id>` (NotificationBody in the
 * catalogue). Anything else after a # is taken for a pairing code (`/pair#7-orbit-…`), which main.ts
 * removes from the address bar before anything else runs.
 */
export const TABS = ["chat", "tasks", "approvals", "devices", "settings"] as const;
export type Tab = (typeof TABS)[number];

export interface Route {
  tab: Tab;
  /** `#tasks/<id>`: the task to show. */
  task?: string;
}

export function routeOf(hash: string): Route | undefined {
  const match = /^#([a-z]+)(?:\/([A-Za-z0-9_.-]{1,64}))?$/.exec(hash);
  const tab = TABS.find((name) => name === match?.[1]);
  if (!match || !tab) return undefined;
  const task = match[2];
  if (task === undefined) return { tab };
  return tab === "tasks" ? { tab, task } : undefined;
}
