/**
 * Search through the PC's history: the field asks the PC a moment after typing stops (not at every
 * key), and only the latest question's answer is shown. Each hit is its conversation's title and the
 * words around the match, the matched words marked; choosing one opens that conversation.
 */
import type { Connection } from "../connection.js";
import { clear, h } from "../dom.js";
import { explain } from "../errors.js";
import { plural, t } from "../i18n/index.js";
import { titleOf } from "./list.js";
import { markedSnippet } from "./snippet.js";

const DEBOUNCE_MS = 250;

export interface Search {
  /** The field (type=search) and the status line. */
  form: HTMLElement;
  /** The hits; hidden while the field is empty. */
  results: HTMLElement;
  readonly active: boolean;
  field: HTMLInputElement;
}

export function conversationSearch(connection: Connection, onActive: (active: boolean) => void, open: (conversation: string) => void): Search {
  const field = h("input", {
    type: "search",
    id: "conversation-search",
    class: "search-field",
    autocomplete: "off",
    enterkeyhint: "search",
    placeholder: t("conversations.searchPlaceholder"),
  });
  const label = h("label", { for: "conversation-search", class: "visually-hidden" }, t("conversations.search"));
  const status = h("p", { class: "search-status muted", role: "status", "aria-live": "polite" });
  const results = h("ul", { class: "search-hits", hidden: true });
  const form = h(
    "form",
    { class: "conversation-search", role: "search", onsubmit: (event: Event) => (event.preventDefault(), void ask()) },
    label,
    field,
    status,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  let active = false;

  const setActive = (next: boolean) => {
    if (next === active) return;
    active = next;
    results.hidden = !next;
    onActive(next);
  };

  async function ask(): Promise<void> {
    clearTimeout(timer);
    const query = field.value.trim();
    const attempt = ++asked;
    if (!query) {
      status.textContent = "";
      clear(results);
      return setActive(false);
    }
    setActive(true);
    try {
      const { hits } = await connection.request("conversations.search", { query, limit: 30 });
      if (attempt !== asked) return;
      status.textContent = hits.length ? plural("conversations.hits", hits.length) : t("conversations.noHits", { query });
      clear(
        results,
        ...hits.map((hit) =>
          h(
            "li",
            {},
            h(
              "button",
              { type: "button", class: "search-hit", "data-conversation": hit.conversation, onclick: () => open(hit.conversation) },
              h("span", { class: "title" }, titleOf(hit.title)),
              h("span", { class: "snippet" }, markedSnippet(hit.snippet)),
            ),
          ),
        ),
      );
    } catch (error) {
      if (attempt !== asked) return;
      status.textContent = explain(error);
      clear(results);
    }
  }

  field.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void ask(), DEBOUNCE_MS);
  });
  field.addEventListener("keydown", (event) => {
    // Escape in a non-empty field clears the search (the browser does this); in an empty one it closes the drawer.
    if (event.key === "Escape" && field.value !== "") {
      event.preventDefault();
      field.value = "";
      void ask();
    }
  });

  return {
    form,
    results,
    field,
    get active() {
      return active;
    },
  };
}
