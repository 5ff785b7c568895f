/**
 * Tasks: the calls that waited for an owner's approval, and how each went. A guest sees its own, an
 * owner everyone's (the PC decides which). Open tasks first (waiting, running), then the finished
 * ones with their result or why they did not run. `task` pushes update the list in place; a
 * reconnect loads it again. A notification's link (`#tasks/<id>`) opens one task, highlighted.
 */
import { OraError, type Task } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, duration, h } from "./dom.js";
import { explain } from "./errors.js";
import { excerpt, isOpen, resultText, TASK_LABELS, whyNot } from "./task-words.js";

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
  const open = h("ul", { class: "tasks open-tasks", "aria-label": "Open tasks" });
  const finished = h("ul", { class: "tasks finished-tasks", "aria-label": "Finished tasks" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const element = h(
    "section",
    { class: "task-list", "aria-label": "Tasks" },
    h("h2", {}, "Tasks"),
    h("p", { class: "muted intro" }, "Calls that wait for the owner's approval run later, as tasks. You are told how each one ends."),
    status,
    h("h3", {}, "Open"),
    open,
    h("h3", {}, "Finished"),
    finished,
  );
  let tasks: Task[] = [];
  let loaded = false;
  let highlighted: string | undefined;

  async function refresh(): Promise<void> {
    try {
      tasks = (await connection.request("tasks.list", { limit: LIMIT })).tasks;
      loaded = true;
      status.textContent = "";
    } catch (error) {
      status.textContent = explain(error);
    }
    render();
    if (highlighted) void show(highlighted);
  }

  function upsert(task: Task): void {
    tasks = [task, ...tasks.filter((t) => t.id !== task.id)].sort((a, b) => b.createdAt - a.createdAt).slice(0, LIMIT);
  }

  function render(): void {
    if (!loaded) return clear(open, h("li", { class: "empty" }, "Loading…"));
    const [openTasks, doneTasks] = [tasks.filter(isOpen), tasks.filter((t) => !isOpen(t))];
    clear(open, ...(openTasks.length ? openTasks.map(item) : [h("li", { class: "empty" }, "Nothing is waiting or running.")]));
    clear(finished, ...(doneTasks.length ? doneTasks.map(item) : [h("li", { class: "empty" }, "No finished tasks yet.")]));
  }

  function item(task: Task): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const why = whyNot(task);
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
        h("span", { class: `risk ${task.risk.toLowerCase()}` }, task.risk),
        " ",
        h("strong", { class: "task-state" }, TASK_LABELS[task.state]),
      ),
      h(
        "p",
        { class: "muted task-meta" },
        "Asked ",
        h("span", { "data-since": task.createdAt }, ago(task.createdAt)),
        ` by ${options.requesterName(task)}`,
        task.state === "waiting_approval" && h("span", {}, " · time left ", h("span", { "data-until": task.expiresAt }, duration(task.expiresAt - Date.now()))),
        task.finishedAt !== null && h("span", {}, " · ended ", h("span", { "data-since": task.finishedAt }, ago(task.finishedAt))),
      ),
      task.state === "done" && h("pre", { class: "outcome result", "aria-label": "Result" }, excerpt(resultText(task.result))),
      why && h("p", { class: "outcome why" }, why),
      task.state === "waiting_approval" &&
        h(
          "div",
          { class: "actions" },
          options.decides() && h("button", { type: "button", class: "decide", onclick: options.openApprovals }, "Decide in Approvals"),
          h("button", { type: "button", class: "cancel danger", onclick: (event: Event) => void cancel(event) }, "Cancel"),
        ),
      message,
    );

    async function cancel(event: Event): Promise<void> {
      const button = event.currentTarget;
      if (button instanceof HTMLButtonElement) button.disabled = true;
      try {
        const { task: cancelled } = await connection.request("tasks.cancel", { id: task.id });
        upsert(cancelled);
        status.textContent = `Cancelled ${task.tool}: it will not run.`;
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
        status.textContent = error instanceof OraError && error.code === "not_found" ? "That task is not here: it may be gone, or not yours." : explain(error);
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
      if (before?.state !== task.state) status.textContent = `${task.tool}: ${TASK_LABELS[task.state].toLowerCase()}.`;
      render();
    }
  });
  // Ages and time left count in place.
  setInterval(() => {
    for (const since of element.querySelectorAll<HTMLElement>("[data-since]")) since.textContent = ago(Number(since.dataset.since));
    for (const until of element.querySelectorAll<HTMLElement>("[data-until]")) until.textContent = duration(Number(until.dataset.until) - Date.now());
  }, 1000);
  render();
  return { element, refresh, render, highlight: (id) => void show(id) };
}

function ago(at: number): string {
  const ms = Date.now() - at;
  return ms < 10_000 ? "just now" : `${duration(ms)} ago`;
}
