/**
 * The conversation: your messages, the secretary's answers streamed as they come (Markdown), and the
 * tool steps it takes; a reminder or job that a message set (`/remind`, or the model's schedule step)
 * shows as a card with its exact time. A call that needs the owner's approval does not hold the answer up: it becomes
 * a task, its step says so, and the step (or a `/run`'s answer) changes in place when the task's
 * pushes say how it went; when the secretary goes on by itself afterwards, its words arrive as a
 * `conversation` push. The PC keeps the history (per user): on opening, the latest conversation is
 * picked up where it was left; "New" starts another.
 */
import type { ChatChunk, Schedule, Task, TOOL_STEP_STATUSES } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { append, clear, h } from "./dom.js";
import { explain } from "./errors.js";
import { renderMarkdown } from "./markdown.js";
import { scheduleCard } from "./schedule-words.js";
import { resultView, whyNot } from "./task-words.js";
import { TaskSteps } from "./task-steps.js";

const STEP_WORDS = {
  running: "running…",
  waiting_for_approval: "waiting for the owner's approval — you'll be told",
  done: "done",
  refused: "refused",
} as const satisfies Record<(typeof TOOL_STEP_STATUSES)[number], string>;

/** The chat as the rest of the app sees it: which conversation is on screen, and a way to open another. */
export interface ChatView {
  element: HTMLElement;
  /** The conversation on screen (undefined: a new one, made by the first message). */
  readonly conversation: string | undefined;
  /** Shows one of this user's conversations from the PC's history, or an empty new one. */
  open(conversation?: string): Promise<void>;
  /** Called whenever the conversation on screen changes (opened, started by a first message, or new). */
  onConversation(listener: (conversation: string | undefined) => void): void;
}

export function chatView(connection: Connection): ChatView {
  let conversation: string | undefined;
  const listeners = new Set<(conversation: string | undefined) => void>();
  const setConversation = (next: string | undefined) => {
    if (next === conversation) return;
    conversation = next;
    for (const listener of listeners) listener(next);
  };
  let inFlight: AbortController | undefined;
  const taskSteps = new TaskSteps(connection);
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const input = h("textarea", { id: "message", rows: 2, placeholder: "Message your secretary (/help for commands)", "aria-label": "Message", required: true });
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const stop = h("button", { type: "button", class: "stop", hidden: true, onclick: () => inFlight?.abort() }, "Stop");
  const fresh = h(
    "button",
    { type: "button", class: "new-conversation", title: "Start a new conversation", onclick: () => void open().then(() => input.focus()) },
    "New",
  );
  const form = h("form", { class: "composer", onsubmit: (event: Event) => (event.preventDefault(), void ask()) }, input, send, stop, fresh);
  // Enter sends, Shift+Enter is a new line: what chat apps do.
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  async function ask(): Promise<void> {
    const text = input.value.trim();
    if (!text || inFlight) return;
    input.value = "";
    append(log, h("div", { class: "msg you" }, h("span", { class: "who" }, "You"), h("p", {}, text)));
    const steps = h("ul", { class: "steps tool-steps" });
    const body = h("div", { class: "body" });
    const cards = h("div", { class: "schedule-cards" });
    const bubble = h("div", { class: "msg ora", "aria-busy": "true" }, h("span", { class: "who" }, "ORA"), steps, body, cards);
    /** One card per schedule, whether a tool step or the answer brought it (or both). */
    const card = (schedule: Schedule) => {
      if (![...cards.children].some((c) => c instanceof HTMLElement && c.dataset.schedule === schedule.id)) append(cards, scheduleCard(schedule));
    };
    append(log, bubble);
    bubble.scrollIntoView({ block: "end" });
    let streamed = "";
    let frame = 0;
    const render = () => {
      frame = 0;
      clear(body, renderMarkdown(streamed));
      bubble.scrollIntoView({ block: "end" });
    };
    const onChunk = (chunk: ChatChunk) => {
      if (chunk.type === "text") {
        streamed += chunk.delta;
        frame ||= requestAnimationFrame(render);
        return;
      }
      const words = chunk.approval ? `${chunk.approval.risk}: ${STEP_WORDS[chunk.status]}` : STEP_WORDS[chunk.status];
      const line = step(steps, chunk.name, `${words}${chunk.error ? ` (${chunk.error})` : ""}`, chunk.status);
      if (chunk.task) taskSteps.watch(chunk.task, chunk.name, line);
      if (chunk.schedule) card(chunk.schedule);
    };

    const controller = (inFlight = new AbortController());
    send.disabled = true;
    stop.hidden = false;
    try {
      const answer = await connection.request("chat", { text, ...(conversation ? { conversation } : {}) }, { signal: controller.signal, onChunk });
      setConversation(answer.conversation ?? conversation);
      cancelAnimationFrame(frame);
      clear(body, renderMarkdown(answer.text));
      if (answer.task) waitingRun(answer.task, steps, body);
      if (answer.schedule) card(answer.schedule);
      if (answer.model === null) bubble.classList.add("no-model");
    } catch (error) {
      cancelAnimationFrame(frame);
      if (streamed) render();
      append(body, h("p", { class: "error" }, explain(error)));
    } finally {
      bubble.removeAttribute("aria-busy");
      inFlight = undefined;
      send.disabled = false;
      stop.hidden = true;
      bubble.scrollIntoView({ block: "end" });
      input.focus();
    }
  }

  /** A `/run` that waits: its step follows the task, and the answer becomes the result when it ends. */
  function waitingRun(task: Task, steps: HTMLElement, body: HTMLElement): void {
    const line = step(steps, task.tool, `${task.risk}: ${STEP_WORDS.waiting_for_approval}`, "waiting_for_approval");
    taskSteps.watch(task.id, task.tool, line, (ended) => {
      if (ended.state === "done") clear(body, resultView(ended.result));
      else clear(body, h("p", { class: "error" }, whyNot(ended)));
    });
  }

  /** What the secretary said by itself, in the conversation on screen (after a waiting call ended). */
  connection.onPush((push) => {
    if (push.event !== "conversation" || push.data.conversation !== conversation) return;
    const bubble = h(
      "div",
      { class: "msg ora later" },
      h("span", { class: "who" }, "ORA"),
      h("div", { class: "body" }, renderMarkdown(push.data.message.content)),
    );
    append(log, bubble);
    bubble.scrollIntoView({ block: "end" });
  });

  /** One conversation's messages from the PC, or an empty log for a new one. */
  let opening = 0;
  async function open(id?: string): Promise<void> {
    const attempt = ++opening;
    inFlight?.abort();
    clear(log);
    setConversation(id);
    if (id === undefined) return;
    const { messages } = await connection.request("conversations.history", { conversation: id });
    if (attempt !== opening) return; // another conversation was opened meanwhile
    for (const m of messages) append(log, said(m.role, m.content));
    log.lastElementChild?.scrollIntoView({ block: "end" });
  }

  /** The latest conversation from the PC, if any (an offline PC or an older agent: start fresh). */
  let resuming = false;
  async function resume(): Promise<void> {
    if (resuming || conversation !== undefined || log.childElementCount > 0) return;
    resuming = true;
    try {
      const { conversations } = await connection.request("conversations.list", { limit: 1 });
      const latest = conversations[0];
      if (!latest || conversation !== undefined || log.childElementCount > 0) return;
      await open(latest.id);
    } catch {
      // Nothing to resume.
    } finally {
      resuming = false;
    }
  }
  // Whenever a session is up and the PC is there (at start, after a reconnect, when it comes online).
  connection.onState((state) => state.phase === "connected" && state.pcOnline && void resume());

  const element = h("section", { class: "chat", "aria-label": "Chat" }, log, form);
  return {
    element,
    get conversation() {
      return conversation;
    },
    open,
    onConversation: (listener) => void listeners.add(listener),
  };
}

function said(role: "user" | "assistant", content: string): HTMLElement {
  return role === "user"
    ? h("div", { class: "msg you" }, h("span", { class: "who" }, "You"), h("p", {}, content))
    : h("div", { class: "msg ora" }, h("span", { class: "who" }, "ORA"), h("div", { class: "body" }, renderMarkdown(content)));
}

/** One line per tool call: a call's later status replaces its "running" line. */
function step(list: HTMLElement, tool: string, words: string, status: string): HTMLElement {
  const running = [...list.querySelectorAll<HTMLElement>("li.running")].find((item) => item.dataset.tool === tool);
  const line = h("li", { class: status, "data-tool": tool }, h("code", {}, tool), ` ${words}`);
  if (running) running.replaceWith(line);
  else append(list, line);
  return line;
}
