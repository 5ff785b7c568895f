/**
 * Where a message is written: Enter sends, Shift+Enter breaks the line, and Enter that ends an IME
 * composition (Japanese input) only ends the composition. One button: Send, which turns into Stop
 * while an answer streams. The box grows with what is written, up to a limit, then scrolls.
 */
import { h } from "../dom.js";
import { t } from "../i18n/index.js";

export interface Composer {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  /** Puts text in the box (an example tapped), ready to send or edit. */
  fill(text: string): void;
  /** Send becomes Stop while `busy`. */
  busy(busy: boolean): void;
  relabel(): void;
}

export function composer(onSend: (text: string) => void, onStop: () => void): Composer {
  let streaming = false;
  const input = h("textarea", { id: "message", rows: 1, enterkeyhint: "send", autocomplete: "off" });
  const label = h("label", { for: "message", class: "visually-hidden" });
  const button = h("button", { type: "submit", class: "send primary" });
  const form = h("form", { class: "composer" }, h("div", { class: "composer-row" }, label, input, button));

  const grow = () => {
    // Empty, the box is one line (its scrollHeight would count a wrapped placeholder).
    if (input.value === "") return void (input.style.height = "");
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  const submit = () => {
    const text = input.value.trim();
    if (!text || streaming) return;
    input.value = "";
    grow();
    onSend(text);
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (streaming) onStop();
    else submit();
  });
  input.addEventListener("input", grow);
  input.addEventListener("keydown", (event) => {
    // keyCode 229: Safari reports the Enter that confirms a composition after compositionend.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    submit();
  });

  const relabel = () => {
    label.textContent = t("chat.message");
    input.placeholder = t("chat.placeholder");
    button.textContent = streaming ? t("chat.stop") : t("chat.send");
  };
  relabel();
  return {
    form,
    input,
    fill(text) {
      input.value = text;
      grow();
      input.focus();
      input.setSelectionRange(text.length, text.length);
    },
    busy(busy) {
      streaming = busy;
      button.className = busy ? "stop" : "send primary";
      relabel();
    },
    relabel,
  };
}
