/**
 * The paired app: the PC's name and whether it can be reached at the top, then the tabs this
 * device's role may use. Everyone has the chat, their tasks, their reminders and the settings;
 * approvals are for owners and sub-admins, the device list for owners. The role comes from the PC
 * itself (whoami), not from the relay. The address's hash names the tab (routes.ts): notifications
 * open `#approvals` and `#tasks/<id>`, the chat's reminder cards `#reminders/<id>`.
 *
 * On a phone the tabs are a bar at the bottom, in reach of a thumb, with at most five entries: the
 * device list is then reached from Settings (styles/base.css hides its tab there). On a wider
 * screen they are a column on the left, the device list included.
 */
import type { Role } from "@ora/protocol";
import { chatView } from "./chat-view.js";
import { mountConversations } from "./conversations/index.js";
import { Connection, type ConnectionState } from "./connection.js";
import { append, clear, duration, h, icon } from "./dom.js";
import { type Key, onLanguage, t } from "./i18n/index.js";
import { openedHash } from "./notification.js";
import { type Route, routeOf, type Tab } from "./routes.js";
import { forgetDevice, type SavedDevice } from "./store.js";
import type { Views } from "./views.js";

const TAB_LABELS: Record<Tab, Key> = {
  chat: "app.tab.chat",
  tasks: "app.tab.tasks",
  reminders: "app.tab.reminders",
  approvals: "app.tab.approvals",
  devices: "app.tab.devices",
  settings: "app.tab.settings",
};

export interface PcInfo {
  name: string;
  version: string;
}

export function appView(root: HTMLElement, saved: SavedDevice, onUnpaired: () => void): void {
  const connection = new Connection(saved);
  const remembered = `ora.pc.${saved.node}`;
  let pc: PcInfo | undefined = recall(remembered);
  let connectionState: ConnectionState = connection.state;
  let revoked = false;

  const pcName = h("h1", { class: "pc-name" });
  const stateWord = h("span", { class: "state-word" });
  const state = h("span", { class: "state", role: "status", "aria-live": "polite" }, h("span", { class: "dot", "aria-hidden": "true" }), stateWord);
  const retry = h("button", { type: "button", class: "link retry", hidden: true, onclick: () => connection.retryNow() });
  const badge = h("span", { class: "badge", hidden: true });
  const tabs = new Map<Tab, HTMLButtonElement>();
  const panels = new Map<Tab, HTMLElement>();
  const nav = h("nav", { class: "tabbar", role: "tablist" });
  const main = h("main", {});
  let role: Role | undefined;

  // Everything but the chat comes in its own chunk, mounted into its panel once it is there.
  const slots = { tasks: h("div", {}), reminders: h("div", {}), approvals: h("div", {}), devices: h("div", {}), settings: h("div", {}) };
  const banner = h("div", { class: "banner-slot" });
  let views: Views | undefined;
  const viewsReady: Promise<Views> = import("./views.js").then(({ createViews }) => {
    const made = createViews(connection, saved, {
      show: (tab) => show(tab),
      role: () => role,
      onCount: (count) => {
        badge.hidden = count === 0;
        badge.textContent = String(count);
        badge.setAttribute("aria-label", t("app.badge", { count }));
      },
    });
    views = made;
    slots.tasks.append(made.tasks.element);
    slots.reminders.append(made.reminders.element);
    slots.approvals.append(made.inbox.element);
    slots.devices.append(made.devices.element);
    slots.settings.append(made.settings.element);
    banner.append(made.lockdown.banner);
    if (pc) made.settings.setPc(pc);
    if (role !== undefined) applyRole(made, role);
    void made.settings.refresh();
    return made;
  });
  const chat = chatView(connection);
  mountConversations(connection, chat);

  function addTab(tab: Tab, panel: HTMLElement, extra?: HTMLElement): void {
    const button = h(
      "button",
      { type: "button", role: "tab", id: `tab-${tab}`, class: `tab tab-${tab}`, "aria-controls": `panel-${tab}`, onclick: () => show(tab) },
      icon(tab),
      h("span", { class: "tab-label" }, t(TAB_LABELS[tab])),
      extra,
    );
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
      // Only the selected tab is in the Tab order; the arrow keys move between tabs (ARIA tabs pattern).
      button.tabIndex = name === tab ? 0 : -1;
      panels.get(name)!.hidden = name !== tab;
    }
    // The address says where the person is, so a reload comes back here (replaceState: no hashchange).
    history.replaceState(null, "", tab === "chat" ? location.pathname : `#${tab}`);
  }

  // Left/Right (and Up/Down in the side column) move between tabs, Home/End to the first and last.
  nav.addEventListener("keydown", (event) => {
    const order = [...tabs.values()].filter((button) => button.offsetParent !== null);
    const at = order.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: order.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = order[(next + order.length) % order.length]!;
    target.focus();
    target.click();
  });

  /** Opens a route: its tab when this role has it (a guest's "approvals" becomes its tasks), and the item it names. */
  function open(route: Route): void {
    const tab = tabs.has(route.tab) ? route.tab : "tasks";
    show(tab);
    if (tab === "tasks") void viewsReady.then((v) => v.tasks.highlight(route.item));
    if (tab === "reminders") void viewsReady.then((v) => v.reminders.highlight(route.item));
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
    addTab("chat", chat.element);
    addTab("tasks", slots.tasks);
    addTab("reminders", slots.reminders);
    if (next !== "guest") addTab("approvals", slots.approvals, badge);
    if (next === "owner") addTab("devices", slots.devices);
    addTab("settings", slots.settings);
    if (views) applyRole(views, next);
    open(routeOf(location.hash) ?? { tab: selected ?? "chat" });
  }

  /** What the role changes inside the views: settings' cards, and the lockdown card for owners. */
  function applyRole(v: Views, next: Role): void {
    v.settings.setRole(next);
    if (next === "owner") v.settings.addCard(v.lockdown.card);
    else v.lockdown.card.remove();
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
    connectionState = s;
    describe(state, s, saved);
    clearInterval(countdown);
    if (s.phase === "waiting") countdown = setInterval(() => describe(state, s, saved), 1000);
    retry.hidden = s.phase !== "waiting";
    if (s.phase === "revoked") showRevoked();
  });
  connection.onReady(async () => {
    try {
      const who = await connection.request("whoami");
      if (who.pc) {
        pc = who.pc;
        remember(remembered, who.pc);
        drawPcName();
      }
      setRole(who.role);
      const v = await viewsReady;
      if (who.pc) v.settings.setPc(who.pc);
      if (who.role === "owner") await v.devices.refresh();
      if (who.role !== "guest") await v.inbox.refresh();
      await v.tasks.refresh();
      await v.reminders.refresh();
      await v.settings.refresh();
      await v.lockdown.refresh();
    } catch {
      // The PC may be offline: the state line says so, and the next ready event loads again.
    }
  });

  function showRevoked(): void {
    revoked = true;
    clear(
      main,
      h(
        "section",
        { class: "card revoked" },
        h("h2", {}, t("app.revoked.title")),
        h("p", {}, t("app.revoked.body")),
        h(
          "button",
          { type: "button", class: "primary", onclick: async () => (await forgetDevice(), stopRedrawing(), onUnpaired()) },
          t("app.revoked.pairAgain"),
        ),
      ),
    );
    nav.replaceChildren();
  }

  function drawPcName(): void {
    pcName.textContent = pc?.name ?? t("app.name");
    document.title = pc ? `${pc.name} · ${t("app.name")}` : t("app.name");
  }

  /** The frame's own words again, then each view's, in the language just chosen. */
  function redraw(): void {
    drawPcName();
    describe(state, connectionState, saved);
    retry.textContent = t("app.retry");
    nav.setAttribute("aria-label", t("app.tabs"));
    for (const [tab, button] of tabs) button.querySelector(".tab-label")!.textContent = t(TAB_LABELS[tab]);
    badge.setAttribute("aria-label", t("app.badge", { count: Number(badge.textContent) }));
    if (revoked) return showRevoked();
    if (!views) return;
    views.settings.render();
    views.devices.render();
    views.inbox.render();
    views.tasks.render();
    if (role !== undefined) void Promise.allSettled([views.reminders.refresh(), views.lockdown.refresh(), views.settings.refresh()]);
  }
  const stopRedrawing = onLanguage(redraw);

  root.className = "frame";
  clear(
    root,
    h("header", { class: "top" }, h("img", { src: "/icon.svg", alt: "", class: "brand", width: 28, height: 28 }), pcName, state, retry),
    banner,
    nav,
    main,
  );
  redraw();
  setRole(saved.role);
  connection.start();
}

/** The connection in a word beside a dot, with the whole sentence for a pointer's hover. */
function describe(element: HTMLElement, state: ConnectionState, saved: SavedDevice): void {
  const phase = state.phase === "connected" ? (state.pcOnline ? "online" : "pc-offline") : state.phase;
  element.className = `state ${phase}`;
  const left = duration(Math.max(0, (state.retryAt ?? Date.now()) - Date.now()));
  const [word, sentence] =
    phase === "online"
      ? [t("app.state.online"), t("app.state.online")]
      : phase === "pc-offline"
        ? [t("app.state.pcOffline"), t("app.state.pcOfflineLong")]
        : phase === "connecting"
          ? [t("app.state.connecting"), t("app.state.connectingLong", { relay: new URL(saved.relay).host })]
          : phase === "waiting"
            ? [t("app.state.waiting", { time: left }), t("app.state.waitingLong", { time: left })]
            : [t("app.state.revoked"), t("app.state.revoked")];
  element.querySelector(".state-word")!.textContent = word;
  element.title = sentence;
}

function recall(key: string): PcInfo | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(key) ?? "null") as unknown;
    if (value && typeof value === "object" && "name" in value && "version" in value && typeof value.name === "string" && typeof value.version === "string")
      return { name: value.name, version: value.version };
  } catch {
    // Nothing remembered, or storage refused: the name comes with the first whoami.
  }
  return undefined;
}

function remember(key: string, pc: PcInfo): void {
  try {
    localStorage.setItem(key, JSON.stringify({ name: pc.name, version: pc.version }));
  } catch {
    // Storage refused: the header waits for whoami next time.
  }
}
