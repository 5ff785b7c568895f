/** What the chat shows before the first message: what ORA can do here, with examples that fill the composer. */
import { h } from "../dom.js";
import { type Key, t } from "../i18n/index.js";

const EXAMPLES: [label: Key, text: Key | string][] = [
  ["chat.empty.help", "/help"],
  ["chat.empty.tools", "/tools"],
  ["chat.empty.remind", "chat.empty.remindExample"],
  ["chat.empty.note", "chat.empty.noteExample"],
];

export function emptyState(fill: (text: string) => void): { element: HTMLElement; render(): void } {
  const element = h("div", { class: "chat-empty" });
  const render = () =>
    element.replaceChildren(
      h("h2", {}, t("chat.empty.title")),
      h("p", { class: "muted" }, t("chat.empty.intro")),
      h(
        "ul",
        { class: "examples" },
        ...EXAMPLES.map(([label, example]) => {
          const text = example.startsWith("/") ? example : t(example as Key);
          return h(
            "li",
            {},
            h("button", { type: "button", class: "example", onclick: () => fill(text) }, h("code", {}, text), h("span", { class: "muted" }, t(label))),
          );
        }),
      ),
    );
  render();
  return { element, render };
}
