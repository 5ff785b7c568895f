/**
 * Data as indented JSON with its keys, strings, numbers and literals coloured: the text is cut into
 * text nodes, each in a span with a class (chat.css), so nothing from the PC is ever read as HTML.
 */
import { h } from "../dom.js";

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

/** The value as a `pre.json` block; undefined (which JSON cannot say) reads as nothing. */
export function jsonBlock(value: unknown): HTMLElement {
  const text = JSON.stringify(value, null, 2) ?? "";
  const pre = h("pre", { class: "json" });
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    const [whole, string, colon, number, literal] = match;
    if (match.index > last) pre.append(text.slice(last, match.index));
    if (string !== undefined) {
      pre.append(h("span", { class: colon ? "j-key" : "j-str" }, string));
      if (colon) pre.append(colon);
    } else if (number !== undefined) pre.append(h("span", { class: "j-num" }, number));
    else if (literal !== undefined) pre.append(h("span", { class: "j-lit" }, literal));
    last = match.index + whole.length;
  }
  if (last < text.length) pre.append(text.slice(last));
  return pre;
}

/** Line count of the value as `jsonBlock` shows it. */
export function jsonLines(value: unknown): number {
  return (JSON.stringify(value, null, 2) ?? "").split("\n").length;
}
