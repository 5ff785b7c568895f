/**
 * Where a message is written: Enter sends, Shift+Enter breaks the line, and Enter that ends an IME
 * composition (Japanese input) only ends the composition. One button: Send, which turns into Stop
 * while an answer streams. The box grows with what is written, up to a limit, then scrolls. Beside it,
 * Attach opens the system's picker (on a phone: the camera roll, the camera or files); what is chosen
 * is shown in the tray above the box (web/src/files/attach.ts fills it).
 */
import { h, icon } from "../dom.js";
import { t } from "../i18n/index.js";

export interface Composer {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  /** Above the box: the files chosen for the next message. */
  tray: HTMLElement;
  /** Puts text in the box (an example tapped), ready to send or edit. */
  fill(text: string): void;
  /** Send becomes Stop while `busy`. */
  busy(busy: boolean): void;
  relabel(): void;
}

/** `onSend` says whether it took the message (false: the box keeps it); `onAttach` hears the files chosen. */
export function composer(onSend: (text: string) => boolean, onStop: () => void, onAttach: (files: File[]) => void): Composer {
  let streaming = false;
  const input = h("textarea", { id: "message", rows: 1, enterkeyhint: "send", autocomplete: "off" });
  const label = h("label", { for: "message", class: "visually-hidden" });
  const button = h("button", { type: "submit", class: "send primary" });
  const picker = h("input", { type: "file", multiple: true, hidden: true, class: "attach-input" });
  const attach = h("button", { type: "button", class: "attach", onclick: () => picker.click() }, icon("attach"));
  picker.addEventListener("change", () => {
    if (picker.files?.length) onAttach([...picker.files]);
    picker.value = ""; // the same file may be chosen again
  });
  const tray = h("div", { class: "attachments" });
  const form = h("form", { class: "composer" }, tray, h("div", { class: "composer-row" }, picker, attach, label, input, button));

  const grow = () => {
    // Empty, the box is one line (its scrollHeight would count a wrapped placeholder).
    if (input.value === "") return void (input.style.height = "");
    input.style.height = "auto";
    input.style.height = `${input.scrollHeight + 2}px`;
  };
  const submit = () => {
    if (streaming || !onSend(input.value.trim())) return;
    input.value = "";
    grow();
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
    attach.setAttribute("aria-label", t("files.attach"));
    attach.title = t("files.attach");
    button.textContent = streaming ? t("chat.stop") : t("chat.send");
  };
  relabel();
  return {
    form,
    input,
    tray,
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
