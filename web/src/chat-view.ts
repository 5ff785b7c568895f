/**
 * The conversation: your messages, the secretary's answers streamed as they come (Markdown), and the
 * tool steps it takes, including the ones waiting for an owner's approval. The PC keeps the history
 * (per user): on opening, the latest conversation is picked up where it was left; "New" starts another.
 */
import type { ChatChunk, TOOL_STEP_STATUSES } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { append, clear, h } from "./dom.js";
import { explain } from "./errors.js";
import { renderMarkdown } from "./markdown.js";

const STEP_WORDS = {
  running: "running…",
  waiting_for_approval: "waiting for the owner's approval…",
  done: "done",
  refused: "refused",
} as const satisfies Record<(typeof TOOL_STEP_STATUSES)[number], string>;

export function chatView(connection: Connection): HTMLElement {
  let conversation: string | undefined;
  let inFlight: AbortController | undefined;
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  const input = h("textarea", { id: "message", rows: 2, placeholder: "Message your secretary (/help for commands)", "aria-label": "Message", required: true });
  const send = h("button", { type: "submit", class: "primary" }, "Send");
  const stop = h("button", { type: "button", class: "stop", hidden: true, onclick: () => inFlight?.abort() }, "Stop");
  const fresh = h(
    "button",
    { type: "button", class: "new-conversation", title: "Start a new conversation", onclick: () => ((conversation = undefined), clear(log), input.focus()) },
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
    const bubble = h("div", { class: "msg ora", "aria-busy": "true" }, h("span", { class: "who" }, "ORA"), steps, body);
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
      if ("step" in chunk) {
        step(steps, chunk.approval.tool, `${chunk.approval.risk}: ${STEP_WORDS.waiting_for_approval}`, "waiting_for_approval");
      } else if (chunk.type === "text") {
        streamed += chunk.delta;
        frame ||= requestAnimationFrame(render);
      } else {
        step(steps, chunk.name, `${STEP_WORDS[chunk.status]}${chunk.error ? ` (${chunk.error})` : ""}`, chunk.status);
      }
    };

    const controller = (inFlight = new AbortController());
    send.disabled = true;
    stop.hidden = false;
    try {
      const answer = await connection.request("chat", { text, ...(conversation ? { conversation } : {}) }, { signal: controller.signal, onChunk });
      conversation = answer.conversation ?? conversation;
      cancelAnimationFrame(frame);
      clear(body, renderMarkdown(answer.text));
      for (const item of steps.querySelectorAll(".waiting_for_approval")) item.className = "done";
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

  /** The latest conversation from the PC, if any (an offline PC or an older agent: start fresh). */
  let resuming = false;
  async function resume(): Promise<void> {
    if (resuming || conversation !== undefined || log.childElementCount > 0) return;
    resuming = true;
    try {
      const { conversations } = await connection.request("conversations.list", { limit: 1 });
      const latest = conversations[0];
      if (!latest || conversation !== undefined || log.childElementCount > 0) return;
      const { messages } = await connection.request("conversations.history", { conversation: latest.id });
      if (conversation !== undefined || log.childElementCount > 0) return; // the user started typing meanwhile
      conversation = latest.id;
      for (const m of messages) {
        append(
          log,
          m.role === "user"
            ? h("div", { class: "msg you" }, h("span", { class: "who" }, "You"), h("p", {}, m.content))
            : h("div", { class: "msg ora" }, h("span", { class: "who" }, "ORA"), h("div", { class: "body" }, renderMarkdown(m.content))),
        );
      }
      log.lastElementChild?.scrollIntoView({ block: "end" });
    } catch {
      // Nothing to resume.
    } finally {
      resuming = false;
    }
  }
  // Whenever a session is up and the PC is there (at start, after a reconnect, when it comes online).
  connection.onState((state) => state.phase === "connected" && state.pcOnline && void resume());

  return h("section", { class: "chat", "aria-label": "Chat" }, log, form);
}

/** One line per tool; a later status of the same tool replaces the line. */
function step(list: HTMLElement, tool: string, words: string, status: string): void {
  const existing = [...list.children].find((item) => item.getAttribute("data-tool") === tool && !item.classList.contains("done"));
  const line = h("li", { class: status, "data-tool": tool }, h("code", {}, tool), ` ${words}`);
  if (existing) existing.replaceWith(line);
  else append(list, line);
}
