/**
 * The paired app: connection state at the top, then the tabs this device's role may use. Everyone
 * has the chat, their tasks, their reminders and the settings; approvals are for owners and sub-admins, the device
 * list for owners. The role comes from the PC itself (whoami), not from the relay. The address's
 * hash names the tab (routes.ts): notifications open `#approvals` and `#tasks/<id>`, the chat's
 * reminder cards `#reminders/<id>`.
 */
import type { Role, Task } from "@ora/protocol";
import { approvalsView } from "./approvals-view.js";
import { chatView } from "./chat-view.js";
import { mountConversations } from "./conversations/index.js";
import { Connection, type ConnectionState } from "./connection.js";
import { devicesView } from "./devices-view.js";
import { lockdownView } from "./lockdown-view.js";
import { append, clear, duration, h } from "./dom.js";
import { openedHash } from "./notification.js";
import { remindersView } from "./reminders-view.js";
import { type Route, routeOf, type Tab } from "./routes.js";
import { settingsView } from "./settings-view.js";
import { forgetDevice, type SavedDevice } from "./store.js";
import { tasksView } from "./tasks-view.js";
import { t } from "./i18n/index.js";

export function appView(root: HTMLElement, saved: SavedDevice, onUnpaired: () => void): void {
  const connection = new Connection(saved);
  const state = h("span", { class: "state", role: "status", "aria-live": "polite" });
  const retry = h("button", { type: "button", class: "link", hidden: true, onclick: () => connection.retryNow() }, "Retry now");
  const badge = h("span", { class: "badge", hidden: true, "aria-label": "approvals waiting" });
  const tabs = new Map<Tab, HTMLButtonElement>();
  const panels = new Map<Tab, HTMLElement>();
  const nav = h("nav", { role: "tablist", "aria-label": "Sections" });
  const main = h("main", {});
  let role: Role | undefined;
  const tools = h("details", { class: "tools" }, h("summary", {}, "Tools you may use"), h("p", { class: "muted" }, "Loading…"));

  const devices = devicesView(connection);
  // A device paired after the list was loaded is named once the list is loaded again.
  const asked = new Set<string>();
  const deviceName = (id: string) => {
    // Requests from the PC's Discord channel carry the Discord user's id, not a paired device's.
    if (id.startsWith("discord:")) return `Discord user ${id.slice("discord:".length)}`;
    if (role === "owner" && !devices.knows(id) && !asked.has(id)) {
      asked.add(id);
      void devices.refresh();
    }
    return id === saved.device ? `${devices.nameOf(id)} (this device)` : devices.nameOf(id);
  };
  const inbox = approvalsView(connection, {
    deviceName,
    onCount: (count) => {
      badge.hidden = count === 0;
      badge.textContent = String(count);
    },
  });
  const requesterName = (task: Task) =>
    task.requester.via === "local" ? "the PC's command line" : task.requester.device === saved.device ? "this device" : deviceName(task.requester.device);
  const tasks = tasksView(connection, { requesterName, decides: () => role !== "guest", openApprovals: () => show("approvals") });
  devices.onChange(() => (inbox.render(), tasks.render()));
  const reminders = remindersView(connection);
  const settings = settingsView(connection, saved);
  const lockdown = lockdownView(connection);
  const chat = chatView(connection);
  chat.element.prepend(tools);
  mountConversations(connection, chat);

  function addTab(tab: Tab, label: string, panel: HTMLElement, extra?: HTMLElement): void {
    const button = h("button", { type: "button", role: "tab", id: `tab-${tab}`, "aria-controls": `panel-${tab}`, onclick: () => show(tab) }, label, extra);
    panel.id = `panel-${tab}`;
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", button.id);
    tabs.set(tab, button);
    panels.set(tab, panel);
    append(nav, button);
    append(main, panel);
  }

  function show(tab: Tab): void {
    for (const [name, button] of tabs) {
      button.setAttribute("aria-selected", String(name === tab));
      panels.get(name)!.hidden = name !== tab;
    }
    tabs.get(tab)?.scrollIntoView({ block: "nearest", inline: "nearest" });
    // The address says where the person is, so a reload comes back here (replaceState: no hashchange).
    history.replaceState(null, "", tab === "chat" ? location.pathname : `#${tab}`);
  }

  /** Opens a route: its tab when this role has it (a guest's "approvals" becomes its tasks), and the item it names. */
  function open(route: Route): void {
    const tab = tabs.has(route.tab) ? route.tab : "tasks";
    show(tab);
    if (tab === "tasks") tasks.highlight(route.item);
    if (tab === "reminders") reminders.highlight(route.item);
    if (route.item) history.replaceState(null, "", `#${tab}/${route.item}`);
  }

  function setRole(next: Role): void {
    if (role === next) return;
    const selected = [...tabs].find(([, button]) => button.getAttribute("aria-selected") === "true")?.[0];
    role = next;
    nav.replaceChildren();
    main.replaceChildren();
    tabs.clear();
    panels.clear();
    addTab("chat", "Chat", chat.element);
    addTab("tasks", "Tasks", tasks.element);
    addTab("reminders", "Reminders", reminders.element);
    if (next !== "guest") addTab("approvals", "Approvals", inbox.element, badge);
    if (next === "owner") addTab("devices", "Devices", devices.element);
    addTab("settings", "Settings", settings.element);
    if (next === "owner") settings.element.append(lockdown.card);
    else lockdown.card.remove();
    open(routeOf(location.hash) ?? { tab: selected ?? "chat" });
  }

  // A notification clicked while the app is open: the service worker says where to go.
  navigator.serviceWorker?.addEventListener("message", (event) => {
    const hash = openedHash(event.data, location.origin);
    const route = hash === undefined ? undefined : routeOf(hash);
    if (route && role !== undefined) open(route);
  });
  navigator.serviceWorker?.startMessages();
  addEventListener("hashchange", () => {
    const route = routeOf(location.hash);
    if (route && role !== undefined) open(route);
  });

  // While waiting to reconnect, the line counts down to the next attempt.
  let countdown: ReturnType<typeof setInterval> | undefined;
  connection.onState((s) => {
    describe(state, s, saved);
    clearInterval(countdown);
    if (s.phase === "waiting") countdown = setInterval(() => describe(state, s, saved), 1000);
    retry.hidden = s.phase !== "waiting";
    if (s.phase === "revoked") showRevoked();
  });
  connection.onReady(async () => {
    try {
      const who = await connection.request("whoami");
      setRole(who.role);
      const list = (await connection.request("tools.list")).tools;
      clear(
        tools,
        h("summary", {}, `Tools you may use (${list.length})`),
        h("ul", {}, ...list.map((t) => h("li", {}, h("code", {}, t.name), ` ${t.risk}${t.needsApproval ? ", needs approval" : ""}: ${t.description}`))),
      );
      if (who.role === "owner") await devices.refresh();
      if (who.role !== "guest") await inbox.refresh();
      await tasks.refresh();
      await reminders.refresh();
      await settings.refresh();
      await lockdown.refresh();
    } catch {
      // The PC may be offline: the state line says so, and the next ready event loads again.
    }
  });

  function showRevoked(): void {
    clear(
      main,
      h(
        "section",
        { class: "card revoked" },
        h("h2", {}, "This device no longer has access"),
        h("p", {}, "It was removed from your PC's devices (or its access expired). To use it again, pair it anew."),
        h("button", { type: "button", class: "primary", onclick: async () => (await forgetDevice(), onUnpaired()) }, "Pair again"),
      ),
    );
    nav.replaceChildren();
  }

  clear(
    root,
    h("header", { class: "top" }, h("h1", {}, t("app.name")), h("span", { class: "who muted" }, saved.name), state, retry),
    lockdown.banner,
    nav,
    main,
  );
  setRole(saved.role);
  void settings.refresh();
  connection.start();
}

/** The connection line: whether the relay and, through it, the PC can be reached. */
function describe(element: HTMLElement, state: ConnectionState, saved: SavedDevice): void {
  element.className = `state ${state.phase === "connected" ? (state.pcOnline ? "online" : "pc-offline") : state.phase}`;
  if (state.phase === "connected") element.textContent = state.pcOnline ? "PC online" : "PC offline: it will answer once it is back";
  else if (state.phase === "connecting") element.textContent = `Connecting to ${new URL(saved.relay).host}…`;
  else if (state.phase === "waiting")
    element.textContent = `Relay unreachable; trying again in ${duration(Math.max(0, (state.retryAt ?? Date.now()) - Date.now()))}`;
  else element.textContent = "Access ended";
}
