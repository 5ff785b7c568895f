/**
 * The app's own addresses, after the #: `#chat`, `#tasks`, `#tasks/<id>`, `#reminders`,
 * `#reminders/<schedule id>`, `#approvals`, `#devices`, `#settings`. Notifications lead to
 * `/#approvals`, `/#tasks/<id>` and `/#reminders` (NotificationBody in the catalogue). Anything else after a # is
 * taken for a pairing code (`/pair#7-orbit-…`), which main.ts removes from the address bar before
 * anything else runs.
 */
export const TABS = ["chat", "tasks", "reminders", "approvals", "devices", "settings"] as const;
export type Tab = (typeof TABS)[number];

export interface Route {
  tab: Tab;
  /** `#tasks/<id>`: the task to show; `#reminders/<id>`: the schedule. */
  item?: string;
}

/** The tabs whose address may name one item. */
const WITH_ITEMS: readonly Tab[] = ["tasks", "reminders"];

export function routeOf(hash: string): Route | undefined {
  const match = /^#([a-z]+)(?:\/([A-Za-z0-9_.-]{1,64}))?$/.exec(hash);
  const tab = TABS.find((name) => name === match?.[1]);
  if (!match || !tab) return undefined;
  const item = match[2];
  if (item === undefined) return { tab };
  return WITH_ITEMS.includes(tab) ? { tab, item } : undefined;
}

/** The address of one item of a tab, or of the tab alone when the id cannot travel in an address. */
export function linkTo(tab: Tab, item: string): string {
  const hash = `#${tab}/${item}`;
  return routeOf(hash) ? hash : `#${tab}`;
}

/**
 * A conversation's own address, `/c/<id>` (a path, so it survives a reload: the relay serves
 * index.html for every path that is not a file). The chat's tab is the one with no hash.
 */
export function conversationOf(pathname: string): string | undefined {
  return /^\/c\/([A-Za-z0-9_-]{1,64})\/?$/.exec(pathname)?.[1];
}

export function conversationPath(conversation: string | undefined): string {
  return conversation !== undefined && conversationOf(`/c/${conversation}`) ? `/c/${conversation}` : "/";
}
