/**
 * One message on screen, the same whether it came from the PC's history or was just streamed: the
 * reader's on the right, ORA's on the left, each with its time. Who said it is for screen readers
 * only; the side and colour say it to the eye. Files attached to a message show as their names.
 */
import { parseReference } from "@ora/protocol";
import { h, icon } from "../dom.js";
import { formatTime, t } from "../i18n/index.js";
import { renderMarkdown } from "../markdown.js";

/** A bubble of the reader's: their words as text, as written (line breaks kept), and the files attached. */
export function yourBubble(text: string, at: number): HTMLElement {
  const lines = text.split("\n");
  const files = lines.map(parseReference);
  const words = lines
    .filter((_, i) => !files[i])
    .join("\n")
    .trimEnd();
  const attached = files.flatMap((file) => (file ? [file] : []));
  return h(
    "div",
    { class: "msg you" },
    h("span", { class: "visually-hidden who" }, t("chat.you")),
    words && h("p", {}, words),
    attached.length > 0 &&
      h(
        "ul",
        { class: "attached", "aria-label": t("files.attached") },
        ...attached.map((file) =>
          h(
            "li",
            { title: file.path },
            icon("attach"),
            h("span", { class: "attached-name" }, file.path.split("/").pop()),
            h("span", { class: "item-meta" }, file.size),
          ),
        ),
      ),
    stamp(at),
  );
}

/** ORA's parts: the tool steps, the answer, any schedule cards. */
export interface OraBubble {
  element: HTMLElement;
  steps: HTMLElement;
  body: HTMLElement;
  cards: HTMLElement;
}

export function oraBubble(at: number, content?: string): OraBubble {
  const steps = h("ul", { class: "steps tool-steps" });
  const body = h("div", { class: "body" }, content === undefined ? null : renderMarkdown(content));
  const cards = h("div", { class: "schedule-cards" });
  const element = h("div", { class: "msg ora" }, h("span", { class: "visually-hidden who" }, t("chat.ora")), steps, body, cards, stamp(at));
  return { element, steps, body, cards };
}

/** A message as the PC's history keeps it. */
export function said(role: "user" | "assistant", content: string, at: number): HTMLElement {
  return role === "user" ? yourBubble(content, at) : oraBubble(at, content).element;
}

function stamp(at: number): HTMLElement {
  return h("time", { class: "at", datetime: new Date(at).toISOString() }, formatTime(at));
}
