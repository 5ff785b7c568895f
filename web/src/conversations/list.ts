/**
 * The list of this person's conversations from the PC, most recent first: each with its title (their
 * own name for it, else its first words as the PC kept them) and when it was last active; the one on
 * screen is marked. Each can be opened, renamed in place (Enter saves, Escape cancels) or deleted
 * after a confirmation.
 */
import type { ConversationSummary } from "@ora/protocol";
import type { Connection } from "../connection.js";
import { append, clear, h } from "../dom.js";
import { explain } from "../errors.js";
import { formatRelative, t } from "../i18n/index.js";
import { icon } from "./icons.js";

export const titleOf = (title: string | null | undefined) => title || t("conversations.untitled");

export interface ListOptions {
  current(): string | undefined;
  open(conversation: string): void;
  /** After a delete: the conversation on screen may be gone. */
  deleted(conversation: string): void;
  /** After the list was drawn again (a title may have changed). */
  changed(): void;
  /** A sentence for the person (an error), shown above the list. */
  say(text: string): void;
}

export class ConversationList {
  readonly element = h("ul", { class: "conversation-list" });
  private items: ConversationSummary[] = [];
  private loading = 0;

  constructor(
    private readonly connection: Connection,
    private readonly options: ListOptions,
  ) {}

  /** Loads the list again from the PC (a failure leaves the last one on screen). */
  async refresh(): Promise<void> {
    const attempt = ++this.loading;
    const { conversations } = await this.connection.request("conversations.list", { limit: 100 });
    if (attempt !== this.loading) return;
    this.items = conversations;
    this.render();
  }

  titleOf(conversation: string | undefined): string | undefined {
    const item = this.items.find((c) => c.id === conversation);
    return item && titleOf(item.title);
  }

  /** The most recently active conversation, if there is one. */
  latest(): string | undefined {
    return this.items[0]?.id;
  }

  knows(conversation: string): boolean {
    return this.items.some((c) => c.id === conversation);
  }

  render(): void {
    // A title being edited stays as it is; saving it draws the list again.
    if (this.element.querySelector(".rename-form")) return;
    const current = this.options.current();
    const focused = document.activeElement instanceof HTMLElement && this.element.contains(document.activeElement) ? document.activeElement : undefined;
    const again = focused && [focused.closest("li")?.dataset.conversation, focused.classList[0]];
    if (this.items.length === 0) clear(this.element, h("li", { class: "empty muted" }, t("conversations.empty")));
    else clear(this.element, ...this.items.map((item) => this.row(item, item.id === current)));
    // Focus stays on the same button of the same conversation when the list is drawn again.
    if (again?.[0] && again[1])
      this.element.querySelector<HTMLElement>(`li[data-conversation="${CSS.escape(again[0])}"] button.${CSS.escape(again[1])}`)?.focus();
    this.options.changed();
  }

  /** Marks the conversation on screen without asking the PC again. */
  mark(current: string | undefined): void {
    for (const button of this.element.querySelectorAll<HTMLElement>("button.open-conversation")) {
      if (button.dataset.conversation === current) button.setAttribute("aria-current", "true");
      else button.removeAttribute("aria-current");
    }
  }

  private row(item: ConversationSummary, current: boolean): HTMLElement {
    const title = titleOf(item.title);
    const opener = h(
      "button",
      {
        type: "button",
        class: "open-conversation",
        "data-conversation": item.id,
        "aria-current": current ? "true" : undefined,
        onclick: () => this.options.open(item.id),
      },
      h("span", { class: "title" }, title),
      h("span", { class: "when muted" }, formatRelative(item.updatedAt)),
    );
    const row = h("li", { class: "conversation", "data-conversation": item.id }, opener);
    append(
      row,
      h(
        "span",
        { class: "actions" },
        h(
          "button",
          {
            type: "button",
            class: "icon rename",
            "aria-label": t("conversations.renameLabel", { title }),
            title: t("conversations.rename"),
            onclick: () => this.rename(row, item),
          },
          icon("pencil"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "icon delete",
            "aria-label": t("conversations.deleteLabel", { title }),
            title: t("conversations.delete"),
            onclick: () => this.confirmDelete(item),
          },
          icon("trash"),
        ),
      ),
    );
    return row;
  }

  /** The title becomes a field: Enter saves, Escape (or leaving it) puts the row back as it was. */
  private rename(row: HTMLElement, item: ConversationSummary): void {
    const field = h("input", { type: "text", class: "rename-field", maxlength: 120, "aria-label": t("conversations.renameField"), value: titleOf(item.title) });
    const form = h("form", { class: "rename-form" }, field);
    const restore = (focus: "rename" | "open") => {
      form.replaceWith(...saved);
      row.querySelector<HTMLElement>(focus === "rename" ? "button.rename" : "button.open-conversation")?.focus();
    };
    const saved = [...row.children];
    let done = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = field.value.trim();
      if (done) return;
      done = true;
      if (!title || title === item.title) return restore("open");
      field.disabled = true;
      try {
        const renamed = await this.connection.request("conversations.rename", { conversation: item.id, title });
        this.items = this.items.map((c) => (c.id === renamed.id ? renamed : c));
        form.replaceWith(...saved);
        this.render();
        this.element.querySelector<HTMLElement>(`button.open-conversation[data-conversation="${CSS.escape(item.id)}"]`)?.focus();
      } catch (error) {
        this.options.say(explain(error));
        restore("rename");
      }
    });
    field.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.preventDefault(); // the drawer stays open: Escape here only cancels the rename
      done = true;
      restore("rename");
    });
    field.addEventListener("blur", () => {
      if (done || field.disabled) return;
      done = true;
      form.replaceWith(...saved);
    });
    row.replaceChildren(form);
    field.focus();
    field.select();
  }

  /** A modal confirmation (Escape or Cancel keeps the conversation). */
  private confirmDelete(item: ConversationSummary): void {
    const title = titleOf(item.title);
    const dialog = h("dialog", { class: "confirm-delete", "aria-labelledby": "confirm-delete-title" });
    const back = () => this.element.querySelector<HTMLElement>(`li[data-conversation="${CSS.escape(item.id)}"] button.delete`)?.focus();
    append(
      dialog,
      h("h2", { id: "confirm-delete-title" }, t("conversations.confirmTitle")),
      h("p", {}, t("conversations.confirmBody", { title })),
      h(
        "form",
        { method: "dialog", class: "buttons" },
        h("button", { type: "submit", value: "cancel", class: "cancel" }, t("conversations.cancel")),
        h("button", { type: "submit", value: "delete", class: "danger confirm" }, t("conversations.confirmDelete")),
      ),
    );
    dialog.addEventListener("close", async () => {
      dialog.remove();
      if (dialog.returnValue !== "delete") return back();
      try {
        await this.connection.request("conversations.delete", { conversation: item.id });
        this.items = this.items.filter((c) => c.id !== item.id);
        this.render();
        this.options.deleted(item.id);
        (this.element.querySelector<HTMLElement>("button.open-conversation") ?? this.element).focus();
      } catch (error) {
        this.options.say(explain(error));
        back();
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector<HTMLElement>("button.cancel")?.focus();
  }
}
