/**
 * Tasks: the calls that waited for an owner's approval, and how each went. A guest sees its own, an
 * owner everyone's (the PC decides which). Open tasks first (waiting, running), then the finished
 * ones with their result or why they did not run. `task` pushes update the list in place; a
 * reconnect loads it again. A notification's link (`#tasks/<id>`) opens one task, highlighted.
 */
import { OraError, type Task } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { codeWords, explain } from "./errors.js";
import { currentLanguage, formatRelative, onLanguage, t } from "./i18n/index.js";
import { statusLine, words, wordsIn } from "./live-words.js";
import { excerpt, isOpen } from "./task-words.js";

export interface TaskList {
  element: HTMLElement;
  /** Reloads the list from the PC (after a reconnect). */
  refresh(): Promise<void>;
  /** Draws the list again (device names became known). */
  render(): void;
  /** Highlights one task, fetching it when it is not in the list; undefined highlights none. */
  highlight(id: string | undefined): void;
}

export interface TaskListOptions {
  /** Who asked, as a person reads it ("Guest tablet", "this device"). */
  requesterName: (task: Task) => string;
  /** Whether this device decides approvals (owner, sub-admin): then a waiting task links to the inbox. */
  decides: () => boolean;
  openApprovals: () => void;
}

const LIMIT = 50;

export function tasksView(connection: Connection, options: TaskListOptions): TaskList {
  const open = wordsIn(h("ul", { class: "tasks open-tasks" }), { "aria-label": "tasks.open" });
  const finished = wordsIn(h("ul", { class: "tasks finished-tasks" }), { "aria-label": "tasks.finished" });
  const openTitle = h("h3", {}, words("tasks.open"));
  const finishedTitle = h("h3", {}, words("tasks.finished"));
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const say = statusLine(status);
  const element = wordsIn(
    h(
      "section",
      { class: "task-list" },
      h("h2", {}, words("tasks.title")),
      h("p", { class: "muted intro" }, words("tasks.intro")),
      status,
      openTitle,
      open,
      finishedTitle,
      finished,
    ),
    { "aria-label": "tasks.title" },
  );
  let tasks: Task[] = [];
  let loaded = false;
  let highlighted: string | undefined;

  async function refresh(): Promise<void> {
    try {
      tasks = (await connection.request("tasks.list", { limit: LIMIT })).tasks;
      loaded = true;
      say();
    } catch (error) {
      say(() => explain(error), true);
    }
    render();
    if (highlighted) void show(highlighted);
  }

  function upsert(task: Task): void {
    tasks = [task, ...tasks.filter((t) => t.id !== task.id)].sort((a, b) => b.createdAt - a.createdAt).slice(0, LIMIT);
  }

  function render(): void {
    // With none at all, one line says what this view is for instead of two empty lists.
    const none = loaded && tasks.length === 0;
    openTitle.hidden = finishedTitle.hidden = finished.hidden = none;
    if (!loaded) return clear(open, h("li", { class: "empty" }, t("tasks.loading")));
    if (none) return clear(open, h("li", { class: "empty" }, t("tasks.empty")));
    const [openTasks, doneTasks] = [tasks.filter(isOpen), tasks.filter((t) => !isOpen(t))];
    clear(open, ...(openTasks.length ? openTasks.map(item) : [h("li", { class: "empty" }, t("tasks.none-open"))]));
    clear(finished, ...(doneTasks.length ? doneTasks.map(item) : [h("li", { class: "empty" }, t("tasks.none-finished"))]));
  }

  function item(task: Task): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const why = whyNot(task);
    const who = task.requester.via === "local" ? t("tasks.by-pc") : options.requesterName(task);
    const li = h(
      "li",
      {
        class: `task state-${task.state}${task.id === highlighted ? " highlight" : ""}`,
        "data-id": task.id,
        tabindex: -1,
        "aria-current": task.id === highlighted ? "true" : undefined,
      },
      h(
        "div",
        { class: "task-head" },
        h("code", { class: "tool" }, task.tool),
        " ",
        h("span", { class: `tag risk-${task.risk.toLowerCase()}` }, t(`tasks.risk.${task.risk}`)),
        " ",
        h("span", { class: `tag task-state state-${task.state}` }, t(`tasks.state.${task.state}`)),
      ),
      h(
        "p",
        { class: "muted task-meta" },
        h("span", { "data-asked": task.createdAt, "data-who": who }, asked(task.createdAt, who)),
        task.state === "waiting_approval" &&
          h("span", {}, " · ", h("span", { "data-until": task.expiresAt }, t("tasks.time-left", { in: formatRelative(task.expiresAt) }))),
        task.finishedAt !== null && h("span", {}, " · ", h("span", { "data-ended": task.finishedAt }, t("tasks.ended", { ago: ago(task.finishedAt) }))),
      ),
      task.state === "done" && h("pre", { class: "outcome result", "aria-label": t("tasks.result") }, excerpt(resultText(task.result))),
      why && h("p", { class: "outcome why" }, why),
      task.state === "waiting_approval" &&
        h(
          "div",
          { class: "actions" },
          options.decides() && h("button", { type: "button", class: "decide", onclick: options.openApprovals }, t("tasks.decide")),
          h(
            "button",
            {
              type: "button",
              class: "cancel danger",
              "aria-label": t("tasks.cancel-label", { tool: task.tool }),
              onclick: (event: Event) => void cancel(event),
            },
            t("tasks.cancel"),
          ),
        ),
      message,
    );

    async function cancel(event: Event): Promise<void> {
      const button = event.currentTarget;
      if (button instanceof HTMLButtonElement) button.disabled = true;
      try {
        const { task: cancelled } = await connection.request("tasks.cancel", { id: task.id });
        upsert(cancelled);
        say(() => t("tasks.cancelled", { tool: task.tool }));
        render();
      } catch (error) {
        // It started or ended meanwhile: the list shows what it is now.
        if (error instanceof OraError && error.code === "not_pending") return void refresh();
        message.textContent = explain(error);
        if (button instanceof HTMLButtonElement) button.disabled = false;
      }
    }
    return li;
  }

  /** Highlights a task; one not in the list (older, or pushed before it loaded) is fetched. */
  async function show(id: string | undefined): Promise<void> {
    highlighted = id;
    if (!loaded) return;
    if (id === undefined) return render();
    if (!tasks.some((t) => t.id === id)) {
      try {
        upsert((await connection.request("tasks.get", { id })).task);
      } catch (error) {
        say(() => (error instanceof OraError && error.code === "not_found" ? t("tasks.gone") : explain(error)), true);
        return;
      }
    }
    render();
    const target = element.querySelector<HTMLElement>(`.task[data-id="${CSS.escape(id)}"]`);
    target?.scrollIntoView({ block: "center" });
    target?.focus({ preventScroll: true });
  }

  connection.onPush((push) => {
    if (push.event !== "task") return;
    const { task } = push.data;
    const before = tasks.find((t) => t.id === task.id);
    if (before && before.updatedAt > task.updatedAt) return; // an older state arriving late
    upsert(task);
    if (loaded) {
      if (before?.state !== task.state) say(() => t("tasks.changed", { tool: task.tool, state: stateWord(task) }));
      render();
    }
  });
  onLanguage(() => render());
  // Ages and time left count in place.
  setInterval(() => {
    for (const span of element.querySelectorAll<HTMLElement>("[data-asked]")) span.textContent = asked(Number(span.dataset.asked), span.dataset.who ?? "");
    for (const span of element.querySelectorAll<HTMLElement>("[data-ended]")) span.textContent = t("tasks.ended", { ago: ago(Number(span.dataset.ended)) });
    for (const span of element.querySelectorAll<HTMLElement>("[data-until]"))
      span.textContent = t("tasks.time-left", { in: formatRelative(Number(span.dataset.until)) });
  }, 1000);
  render();
  return { element, refresh, render, highlight: (id) => void show(id) };
}

function asked(at: number, who: string): string {
  return t("tasks.asked", { ago: ago(at), who });
}

function ago(at: number): string {
  return Date.now() - at < 10_000 ? t("tasks.just-now") : formatRelative(at);
}

/** The state as it reads inside a sentence ("files.write: done."). */
function stateWord(task: Task): string {
  const label = t(`tasks.state.${task.state}`);
  return currentLanguage() === "en" ? label.toLowerCase() : label;
}

/** A tool's result as text: its own words when it returned text, its JSON otherwise. */
function resultText(result: unknown): string {
  if (typeof result === "string") return result;
  return JSON.stringify(result, null, 2) ?? t("tasks.no-result");
}

/**
 * Why a task did not end as done; undefined while it is open or when it is done. The PC's own words
 * say more (which file, who cancelled) and are kept for a reader of English; otherwise the catalogue
 * says it from the state and the error's code.
 */
function whyNot(task: Task): string | undefined {
  if (task.state === "waiting_approval" || task.state === "running" || task.state === "done") return undefined;
  const english = currentLanguage() === "en" ? task.error?.message.trim() : undefined;
  if (task.state === "failed") {
    const reason = english ? sentence(english) : task.error ? codeWords(task.error.code) : "";
    return t("tasks.why.failed", { reason }).trim();
  }
  return english ? sentence(english) : t(`tasks.why.${task.state}`);
}

function sentence(message: string): string {
  return `${message[0]?.toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? "" : "."}`;
}
