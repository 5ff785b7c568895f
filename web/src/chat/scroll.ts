/**
 * Keeps the newest message in view while the reader is at the bottom; once they scroll up to read,
 * new messages no longer pull the page down, and a "New messages" pill takes them there instead.
 * The page itself scrolls (the composer sticks to the bottom of the viewport), so "at the bottom"
 * is the document's scroll position.
 */
import { h } from "../dom.js";
import { t } from "../i18n/index.js";

/** Within this many pixels of the end counts as at the bottom (a line and a half of text). */
const SLACK = 48;

export class FollowScroll {
  /** The pill: shown while something new is below the reader's view. */
  readonly pill = h("button", { type: "button", class: "new-messages", hidden: true, onclick: () => this.toBottom() }, t("chat.newMessages"), " ↓");
  private following = true;

  constructor(private readonly chat: HTMLElement) {
    addEventListener("scroll", () => this.measure(), { passive: true });
  }

  /** Call after the log grew: a reader who was following stays at the end, one reading above sees the pill. */
  changed(): void {
    if (!this.visible()) return;
    if (this.following) this.toBottom("instant");
    else this.pill.hidden = false;
  }

  /** Scrolls to the newest message and follows again. */
  toBottom(behavior: ScrollBehavior = "smooth"): void {
    this.following = true;
    this.pill.hidden = true;
    const root = document.scrollingElement ?? document.documentElement;
    root.scrollTo({ top: root.scrollHeight, behavior });
  }

  /** Follows from now on (the reader sent a message): the next change scrolls to the end. */
  follow(): void {
    this.following = true;
    this.pill.hidden = true;
  }

  /** After a conversation is opened or started: at its end, following. */
  reset(): void {
    this.following = true;
    this.pill.hidden = true;
    if (this.visible()) this.toBottom("instant");
  }

  private measure(): void {
    if (!this.visible()) return;
    const root = document.scrollingElement ?? document.documentElement;
    this.following = root.scrollHeight - (root.scrollTop + innerHeight) <= SLACK;
    if (this.following) this.pill.hidden = true;
  }

  private visible(): boolean {
    return this.chat.isConnected && this.chat.offsetParent !== null;
  }
}
