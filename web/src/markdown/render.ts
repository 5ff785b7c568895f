/**
 * Markdown from the secretary, rendered so that it cannot run script: marked turns Markdown into
 * HTML with raw HTML shown as text, then DOMPurify removes anything active (event handlers,
 * javascript: links, forms, frames) and hands back DOM nodes, never a string for innerHTML.
 * Images are shown as links and never loaded: an answer shaped by a web page or a file could
 * otherwise leak your data in an image URL the moment it is displayed.
 */
import DOMPurify, { type Config } from "dompurify";
import { Marked } from "marked";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    image: ({ href, text }) => `<a href="${escapeHtml(href)}">${escapeHtml(text || "image")}</a>`,
  },
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

const PURIFY: Config & { RETURN_DOM_FRAGMENT: true } = {
  RETURN_DOM_FRAGMENT: true,
  FORBID_TAGS: [
    "img",
    "style",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "video",
    "audio",
    "source",
    "picture",
  ],
  FORBID_ATTR: ["style", "srcset"],
  ALLOW_DATA_ATTR: false,
};

export function renderMarkdown(text: string): DocumentFragment {
  return DOMPurify.sanitize(marked.parse(text) as string, PURIFY);
}
