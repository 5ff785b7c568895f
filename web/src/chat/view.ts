/**
 * The conversation: your messages, the secretary's answers streamed as they come (Markdown), and the
 * tool steps it takes; a reminder or job that a message set (`/remind`, or the model's schedule step)
 * shows as a card with its exact time. A direct command's answer is said from the catalogue by its
 * notice key, and a tool's result by its kind (results.ts). A call that needs the owner's approval
 * does not hold the answer up: it becomes a task, its step says so, and the step (and a `/run`'s
 * answer) changes in place as the task's pushes say how it goes; when the secretary goes on by itself
 * afterwards, its words arrive as a `conversation` push. The PC keeps the history (per user): on
 * opening, the latest conversation is picked up where it was left; "New conversation" starts another.
 * Files attached in the composer go to the PC first and reach the secretary as lines naming them;
 * files in results download to the device (web/src/files/, loaded when first used).
 */
import type { ApprovalRisk, ChatChunk, ChatResult, Schedule, Task } from "@ora/protocol";
import type { Connection } from "../connection.js";
import type { Attachments } from "../files/attach.js";
import { append, clear, h } from "../dom.js";
import { onLanguage, t } from "../i18n/index.js";
import { renderMarkdown } from "../markdown.js";
import { TaskSteps } from "../task-steps.js";
import { whyNot } from "../task-words.js";
import { type OraBubble, oraBubble, said, yourBubble } from "./bubbles.js";
import { composer } from "./composer.js";
import { emptyState } from "./empty.js";
import { noticeView } from "./notices.js";
import { type Downloads, downloadsOf, errorView, resultView } from "./results.js";
import { FollowScroll } from "./scroll.js";
import { toolsView } from "./tools.js";

/** The chat as the rest of the app sees it: which conversation is on screen, and a way to open another. */
export interface ChatView {
  element: HTMLElement;
  /** The chat's own header row: other parts of the app may add to it (a conversation switcher). */
  header: HTMLElement;
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
  const log = h("div", { class: "log", role: "log", "aria-live": "polite" });
  let attachments: Promise<Attachments> | undefined;
  let attached: Attachments | undefined;
  const write = composer(
    (text) => send(text),
    () => inFlight?.abort(),
    (files) => {
      attachments ??= import("../files/attach.js").then(({ Attachments }) => (attached = new Attachments(connection, write.tray, () => write.input.focus())));
      void attachments.then((tray) => tray.add(files));
    },
  );
  const empty = emptyState((text) => write.fill(text));
  const freshLabel = h("span", { class: "label" });
  const fresh = h("button", { type: "button", class: "new-conversation", onclick: () => void open().then(() => write.input.focus()) }, plusIcon(), freshLabel);
  const header = h("div", { class: "chat-head" }, fresh);
  const element = h("section", { class: "chat" }, header, empty.element, log, write.form);
  const scroll = new FollowScroll(element);
  write.form.prepend(scroll.pill);

  /** Adds to the log and keeps the newest in view (or shows the pill). */
  const add = (node: HTMLElement) => {
    append(log, node);
    shown();
  };
  const shown = () => {
    empty.element.hidden = log.childElementCount > 0;
    scroll.changed();
  };

  const relabel = () => {
    element.setAttribute("aria-label", t("chat.label"));
    log.setAttribute("aria-label", t("chat.log"));
    freshLabel.textContent = t("chat.new");
    scroll.pill.replaceChildren(t("chat.newMessages"), " ↓");
    write.relabel();
    empty.render();
  };
  relabel();
  onLanguage(relabel);

  /** The message with a line for each attached file; false (the box keeps the words) while a file is not on the PC yet. */
  function send(text: string): boolean {
    if (inFlight) return false;
    const lines = attached ? attached.take() : [];
    if (lines === undefined || (!text && lines.length === 0)) return false;
    void ask([text, lines.join("\n")].filter(Boolean).join("\n\n"));
    return true;
  }

  // A file's download button in a result (results.ts).
  log.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button.file-download") : null;
    if (button instanceof HTMLButtonElement) void import("../files/save.js").then(({ saveFromPc }) => saveFromPc(connection, button));
  });

  async function ask(text: string): Promise<void> {
    if (inFlight) return;
    // Whoever sends wants to see their message and its answer, wherever they had scrolled to.
    scroll.follow();
    add(yourBubble(text, Date.now()));
    const bubble = oraBubble(Date.now());
    bubble.element.setAttribute("aria-busy", "true");
    add(bubble.element);
    let streamed = "";
    let frame = 0;
    const render = () => {
      frame = 0;
      clear(bubble.body, renderMarkdown(streamed));
      scroll.changed();
    };
    const onChunk = (chunk: ChatChunk) => {
      if (chunk.type === "text") {
        streamed += chunk.delta;
        frame ||= requestAnimationFrame(render);
        return;
      }
      const line = step(bubble.steps, chunk);
      if (chunk.task) taskSteps.watch(chunk.task, chunk.name, line);
      if (chunk.schedule) card(bubble, chunk.schedule);
      scroll.changed();
    };

    const controller = (inFlight = new AbortController());
    write.busy(true);
    try {
      const answer = await connection.request("chat", { text, ...(conversation ? { conversation } : {}) }, { signal: controller.signal, onChunk });
      setConversation(answer.conversation ?? conversation);
      cancelAnimationFrame(frame);
      clear(bubble.body, answerView(answer, downloadsOf(text)));
      if (answer.task) waitingRun(answer.task, bubble);
      if (answer.schedule) card(bubble, answer.schedule);
      if (answer.model === null) bubble.element.classList.add("no-model");
    } catch (error) {
      cancelAnimationFrame(frame);
      if (streamed) render();
      append(bubble.body, errorView(error));
    } finally {
      bubble.element.removeAttribute("aria-busy");
      inFlight = undefined;
      write.busy(false);
      scroll.changed();
      write.input.focus();
    }
  }

  /** A `/run` that waits: its step and its answer follow the task until it ends with its result or why not. */
  function waitingRun(task: Task, bubble: OraBubble): void {
    const line = h("li", { class: "waiting_approval", "data-tool": task.tool }, h("code", {}, task.tool), ` ${waitingWords(task.risk)}`);
    append(bubble.steps, line);
    taskSteps.watch(task.id, task.tool, line, (now) => {
      if (now.state === "running") clear(bubble.body, renderMarkdown(t("chat.task.approvedRunning", { tool: now.tool })));
      else if (now.state === "done") clear(bubble.body, resultView(now.result));
      else if (now.state !== "waiting_approval") clear(bubble.body, h("p", { class: "error" }, whyNot(now)));
      scroll.changed();
    });
  }

  /** What the secretary said by itself, in the conversation on screen (after a waiting call ended). */
  connection.onPush((push) => {
    if (push.event !== "conversation" || push.data.conversation !== conversation) return;
    const bubble = said("assistant", push.data.message.content, push.data.message.at);
    bubble.classList.add("later");
    add(bubble);
  });

  /** One conversation's messages from the PC, or an empty log for a new one. */
  let opening = 0;
  async function open(id?: string): Promise<void> {
    const attempt = ++opening;
    inFlight?.abort();
    clear(log);
    shown();
    setConversation(id);
    if (id === undefined) return;
    const { messages } = await connection.request("conversations.history", { conversation: id });
    if (attempt !== opening) return; // another conversation was opened meanwhile
    for (const m of messages) append(log, said(m.role, m.content, m.at));
    shown();
    scroll.reset();
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

  return {
    element,
    header,
    get conversation() {
      return conversation;
    },
    open,
    onConversation: (listener) => void listeners.add(listener),
  };
}

/** The answer's body: a command's list or notice from the catalogue, a tool's result by kind, else the secretary's Markdown. */
function answerView(answer: ChatResult, downloads?: Downloads): Node {
  if (answer.tools && answer.tools.length > 0) return toolsView(answer.tools);
  if (answer.notice) return answer.notice.key === "reminder_set" && answer.schedule ? document.createDocumentFragment() : noticeView(answer.notice);
  if ("result" in answer) return resultView(answer.result, downloads);
  return renderMarkdown(answer.text);
}

/**
 * One card per schedule, whether a tool step or the answer brought it (or both). The words for times
 * load with the first card (the Reminders view shares them), not with the app.
 */
function card(bubble: OraBubble, schedule: Schedule): void {
  void import("../schedule-words.js").then(({ scheduleCard }) => {
    if (![...bubble.cards.children].some((c) => c instanceof HTMLElement && c.dataset.schedule === schedule.id)) append(bubble.cards, scheduleCard(schedule));
  });
}

function waitingWords(risk: ApprovalRisk): string {
  return t("chat.step.waiting", { risk: t(`approvals.risk.${risk}`) });
}

/** One line per tool call: a call's later status replaces its "running" line. */
function step(list: HTMLElement, chunk: Extract<ChatChunk, { type: "tool" }>): HTMLElement {
  const words = {
    running: () => t("chat.step.running"),
    waiting_for_approval: () => (chunk.approval ? waitingWords(chunk.approval.risk) : t("chat.task.waiting_approval")),
    done: () => t("chat.step.done"),
    refused: () => t("chat.step.refused"),
  }[chunk.status]();
  const running = [...list.querySelectorAll<HTMLElement>("li.running")].find((item) => item.dataset.tool === chunk.name);
  const line = h("li", { class: chunk.status, "data-tool": chunk.name }, h("code", {}, chunk.name), ` ${words}${chunk.error ? ` (${chunk.error})` : ""}`);
  if (running) running.replaceWith(line);
  else append(list, line);
  return line;
}

/** A plus sign drawn as SVG (built node by node: no markup strings). */
function plusIcon(): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M12 5v14M5 12h14");
  svg.append(path);
  return svg;
}
