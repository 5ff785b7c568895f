/**
 * Words that follow the reader's language on the parts of a view that are built once (headings,
 * labels, placeholders, a status line): set from the catalogue now, and again on every change.
 * Lists drawn again on each update use `t()` directly and redraw themselves from `onLanguage`, so
 * nothing here is created per item (each listener lives as long as the page).
 */
import { type Key, onLanguage, type Params, t } from "./i18n/index.js";

/** A text node saying `key`. */
export function words(key: Key, params?: Params): Text {
  const node = document.createTextNode(t(key, params));
  onLanguage(() => {
    node.textContent = t(key, params);
  });
  return node;
}

/** Sets attributes (aria-label, placeholder…) from the catalogue: `wordsIn(input, { placeholder: "reminders.when-hint" })`. */
export function wordsIn<E extends Element>(element: E, attributes: Record<string, Key>): E {
  const set = () => {
    for (const [name, key] of Object.entries(attributes)) element.setAttribute(name, t(key));
  };
  set();
  onLanguage(set);
  return element;
}

/**
 * A status line that remembers how to say its sentence, so a change of language says it again:
 * `say(() => t("tasks.cancelled", { tool }))`; `say()` empties it. `error` marks it as a failure.
 */
export function statusLine(element: HTMLElement): (sentence?: () => string, error?: boolean) => void {
  let current: (() => string) | undefined;
  const draw = () => {
    element.textContent = current ? current() : "";
  };
  onLanguage(draw);
  return (sentence, error = false) => {
    current = sentence;
    element.classList.toggle("error", error && sentence !== undefined);
    draw();
  };
}

/** A sentence whose placeholders are elements (a command as code, a select): `{tool}` → the node given for it. */
export function sentenceWith(template: string, nodes: Record<string, Node>): Node[] {
  return template.split(/(\{\w+\})/).map((piece) => nodes[piece.slice(1, -1)] ?? document.createTextNode(piece));
}
