/**
 * The person's conversations beside the chat: the list (switch, rename, delete, New), search through
 * the PC's history, and the conversation's own address `/c/<id>`. On a wide screen the pane stands
 * beside the chat; on a phone it is a drawer opened from the chat's header row.
 *
 * The address follows the conversation on screen: opening one from the list or a search pushes its
 * address (so Back returns to the one before), a first message or the chat picking up the latest one
 * replaces it. Opening the app at `/c/<id>` opens that conversation; one the PC does not know (or not
 * for this person) leaves a clear message and the list.
 */
import type { ChatView } from "../chat-view.js";
import type { Connection } from "../connection.js";
import { OraError } from "@ora/protocol";
import { clear, h } from "../dom.js";
import { explain } from "../errors.js";
import { onLanguage, t } from "../i18n/index.js";
import { conversationOf, conversationPath } from "../routes.js";
import { drawer } from "./drawer.js";
import { icon } from "./icons.js";
import { ConversationList } from "./list.js";
import { conversationSearch } from "./search.js";

/** Puts the conversations pane into the chat's section, and its button into the chat's header row. */
export function mountConversations(connection: Connection, chat: ChatView): void {
  const notice = h("p", { class: "conversations-notice", role: "alert", hidden: true });
  const say = (text: string) => {
    notice.textContent = text;
    notice.hidden = false;
  };
  let push = false;
  const open = (conversation: string | undefined) => {
    notice.hidden = true;
    if (conversation === chat.conversation) return panes.close();
    push = true;
    panes.close();
    void chat.open(conversation).catch((error: unknown) => void failed(error));
  };
  const list = new ConversationList(connection, {
    current: () => chat.conversation,
    open,
    deleted: (conversation) => conversation === chat.conversation && void chat.open(),
    changed: () => showTitle(),
    say,
  });
  const search = conversationSearch(connection, (active) => (list.element.hidden = active), open);

  const heading = h("h2", { id: "conversations-heading" }, "");
  const fresh = h("button", { type: "button", class: "new-conversation-list", onclick: () => open(undefined) }, icon("plus"), h("span", {}, ""));
  const close = h("button", { type: "button", class: "icon close-conversations", onclick: () => panes.close() }, icon("close"));
  const panel = h(
    "div",
    { class: "conversations-panel", role: "region", "aria-labelledby": heading.id },
    h("div", { class: "conversations-head" }, heading, close),
    fresh,
    search.form,
    notice,
    search.results,
    list.element,
  );
  const backdrop = h("div", { class: "conversations-backdrop", onclick: () => panes.close() });
  const pane = h("aside", { class: "conversations", id: "conversations" }, backdrop, panel);

  const toggle = h("button", { type: "button", class: "icon show-conversations", "aria-controls": pane.id }, icon("list"));
  const title = h("h2", { class: "conversation-title" });
  // One header row for the chat: the list's button and the conversation's title before the chat's own controls.
  chat.header.classList.add("conversation-bar");
  chat.header.prepend(toggle, title);
  const panes = drawer(pane, toggle, () => {
    (panel.querySelector<HTMLElement>("button.open-conversation[aria-current]") ?? search.field).focus();
    void list.refresh().catch(() => undefined);
  });

  // The chat's own children move into one column beside the pane.
  const column = h("div", { class: "chat-main" }, ...chat.element.children);
  chat.element.classList.add("with-conversations");
  chat.element.replaceChildren(pane, column);

  const words = () => {
    heading.textContent = t("conversations.heading");
    fresh.lastElementChild!.textContent = t("conversations.new");
    close.setAttribute("aria-label", t("conversations.close"));
    toggle.setAttribute("aria-label", t("conversations.show"));
    search.field.placeholder = t("conversations.searchPlaceholder");
    list.render();
  };
  /** The chat's header names the conversation on screen. */
  const showTitle = () => {
    title.textContent = chat.conversation === undefined ? t("conversations.untitled") : (list.titleOf(chat.conversation) ?? "");
  };
  onLanguage(words);

  const refresh = () => list.refresh().catch(() => undefined);

  /**
   * A conversation that could not be opened: say why. One the PC does not have gives way to the
   * latest one (what opening the app shows), with the list in view.
   */
  async function failed(error: unknown): Promise<void> {
    if (!(error instanceof OraError && error.code === "not_found")) return say(explain(error));
    say(t("conversations.missing"));
    await refresh();
    panes.open();
    await chat.open(list.latest()).catch((again: unknown) => say(explain(again)));
  }

  chat.onConversation((conversation) => {
    const path = conversationPath(conversation);
    if (location.pathname !== path) {
      if (push) history.pushState({ conversation }, "", path + location.hash);
      else history.replaceState({ conversation }, "", path + location.hash);
    }
    push = false;
    list.mark(conversation);
    showTitle();
    // A first message made a conversation the list has not seen yet.
    if (conversation !== undefined && !list.knows(conversation)) void refresh();
  });
  connection.onPush((event) => event.event === "conversation" && void refresh());
  // An answer that ends (its bubble stops being busy) moved its conversation to the top of the list.
  new MutationObserver((changes) => changes.some((change) => change.oldValue === "true") && void refresh()).observe(chat.element, {
    subtree: true,
    attributeFilter: ["aria-busy"],
    attributeOldValue: true,
  });

  // Back and Forward move between the conversations this tab opened.
  addEventListener("popstate", () => {
    const conversation = conversationOf(location.pathname);
    if (conversation === chat.conversation) return;
    notice.hidden = true;
    void chat.open(conversation).catch((error: unknown) => void failed(error));
  });

  // Whenever the PC comes within reach: load the list; the first time, open the address's conversation.
  let wanted = conversationOf(location.pathname);
  let up = false;
  connection.onState((state) => {
    const reachable = state.phase === "connected" && state.pcOnline;
    if (reachable && !up) {
      if (wanted !== undefined) {
        const conversation = wanted;
        wanted = undefined;
        void chat.open(conversation).catch((error: unknown) => void failed(error));
      }
      void refresh();
    }
    up = reachable;
  });
  words();
  showTitle();
  clear(list.element, h("li", { class: "empty muted" }, t("conversations.loading")));
}
