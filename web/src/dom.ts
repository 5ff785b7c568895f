/**
 * A tiny element builder. Text always goes in as text nodes, never as HTML: the only HTML this app
 * inserts is sanitised Markdown (markdown.ts).
 */
import { t } from "./i18n/index.js";

type Attrs = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

export function clear(element: Element, ...children: Child[]): void {
  element.replaceChildren();
  append(element, ...children);
}

/** "in 4 min", "12 s", "3 h ago": coarse on purpose, people read it at a glance ("4分" in Japanese). */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return t("app.duration.s", { count: s });
  if (s < 90 * 60) return t("app.duration.min", { count: Math.round(s / 60) });
  if (s < 36 * 3600) return t("app.duration.h", { count: Math.round(s / 3600) });
  return t("app.duration.days", { count: Math.round(s / 86400) });
}

/** The start of a long id, enough to tell ids apart at a glance: "dev_3f9a…" (the full id is one tap away). */
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 10)}…`;
}

/**
 * A long id shortened, with a button that copies all of it; "copied" is said in a live region, so a
 * screen reader hears it too. `what` names the id for the button ("device ID").
 */
export function idChip(id: string, what: string = t("app.id")): HTMLElement {
  const said = h("span", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const button = h(
    "button",
    {
      type: "button",
      class: "copy",
      "aria-label": t("app.copy", { what }),
      title: t("app.copy", { what }),
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(id);
          said.textContent = t("app.copied", { what });
          button.classList.add("done");
        } catch {
          said.textContent = t("app.copyFailed");
        }
      },
    },
    icon("copy"),
  );
  // The button's check mark lasts until the pointer or focus moves on.
  button.addEventListener("blur", () => button.classList.remove("done"));
  return h("span", { class: "id-chip" }, h("code", { class: "short-id", title: id, "data-id": id }, shortId(id)), button, said);
}

const ICONS = {
  chat: "M4 5h16v11H10l-5 4v-4H4z",
  tasks: "M9 6h11M9 12h11M9 18h11M4 6l1 1 2-2M4 12l1 1 2-2M4 18l1 1 2-2",
  reminders: "M6 16v-5a6 6 0 0 1 12 0v5l2 2H4zM10 21h4",
  approvals: "M12 3l8 3v6c0 4.5-3.4 8-8 9-4.6-1-8-4.5-8-9V6zM8.5 12l2.5 2.5 4.5-5",
  devices: "M3 5h13v9H3zM6.5 18h6M9.5 14v4M18 8h3v11h-3z",
  settings: "M4 7h9M17 7h3M4 17h3M11 17h9M15 5v4M9 15v4",
  copy: "M9 9h10v11H9zM5 15V4h10",
  back: "M15 5l-7 7 7 7",
  attach: "M20 11.5l-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7L9.7 17.2a1.7 1.7 0 0 1-2.4-2.4L15 7.1",
  download: "M12 4v11M7 10.5l5 5 5-5M5 20h14",
  close: "M6 6l12 12M18 6L6 18",
  retry: "M4 12a8 8 0 1 0 2.4-5.7M4 4v4.5h4.5",
} as const;

/** A line icon from ICONS, drawn in the text colour; decorative (the label beside it says what it is). */
export function icon(name: keyof typeof ICONS): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  for (const [k, v] of Object.entries({
    viewBox: "0 0 24 24",
    width: "24",
    height: "24",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "2",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
    focusable: "false",
    class: `icon icon-${name}`,
  }))
    svg.setAttribute(k, v);
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}
