/**
 * Files attached to the next message. Each one goes to the PC as soon as it is chosen, into the
 * first shared folder under ORA/ when it has one, else at its top (read once for its SHA-256, then sent in pieces:
 * protocol/src/transfer.ts), shown as a chip with its progress. When placing it waits for the
 * owner's approval (as writing a file does), the chip follows that task's pushes. Once the message is
 * sent, every file on the PC becomes a line the secretary reads and its file tools can open.
 * Nothing is lost or overwritten: a file that could not be sent keeps its chip with a button to send
 * it again, and a name already taken on the PC becomes "name (2).ext".
 */
import { hashSource, OraError, PlacedFile, referenceLine, type Task, type UploadSource, upload } from "@ora/protocol";
import { bytes } from "../chat/results.js";
import type { Connection } from "../connection.js";
import { clear, h, icon } from "../dom.js";
import { explain } from "../errors.js";
import { onLanguage, t } from "../i18n/index.js";
import { isOpen, whyNot } from "../task-words.js";

/** Where attachments go in the shared folder. */
export const FOLDER = "ORA";
/** How many numbered names are tried before a taken name is reported. */
const RENAMES = 50;

type State =
  | { kind: "hashing" | "sending"; done: number; total: number }
  | { kind: "placing" }
  | { kind: "waiting"; task: string }
  | { kind: "ready"; file: PlacedFile }
  | { kind: "failed"; why: string };

interface Attachment {
  file: File;
  /** The name asked for on the PC (a taken one is numbered). */
  name: string;
  state: State;
  /** Set once read: sending it again needs no second reading. */
  sha256?: string;
  controller: AbortController;
  /** The chip, made once and changed in place (a button under the finger or the focus stays). */
  element: HTMLLIElement;
  status: HTMLElement;
  progress: HTMLProgressElement;
  retry: HTMLButtonElement;
  remove: HTMLButtonElement;
}

export class Attachments {
  private readonly items: Attachment[] = [];
  private readonly list = h("ul", { class: "attachment-list" });
  private readonly note = h("p", { class: "attachment-note", role: "status" });
  /** State changes said to screen readers (percentages would be too chatty). */
  private readonly said = h("span", { class: "visually-hidden", "aria-live": "polite" });

  constructor(
    private readonly connection: Connection,
    tray: HTMLElement,
    /** Where focus goes when a chip it was on goes away. */
    private readonly home: () => void,
  ) {
    clear(tray, this.list, this.note, this.said);
    this.relabel(tray);
    onLanguage(() => {
      this.relabel(tray);
      for (const item of this.items) this.draw(item);
    });
    connection.onPush((push) => push.event === "task" && this.taskChanged(push.data.task));
    connection.onReady(() => void this.catchUp());
  }

  add(files: File[]): void {
    this.note.textContent = "";
    for (const file of files) {
      const status = h("span", { class: "attachment-status" });
      const progress = h("progress", { max: 100, value: 0 });
      const retry = h("button", { type: "button", class: "retry" }, icon("retry"));
      const remove = h("button", { type: "button", class: "remove" }, icon("close"));
      const element = h(
        "li",
        { class: "attachment" },
        h(
          "div",
          { class: "attachment-text" },
          h("span", { class: "attachment-name", title: file.name }, file.name),
          h("span", { class: "attachment-size" }, bytes(file.size)),
          status,
        ),
        progress,
        retry,
        remove,
      );
      const item: Attachment = {
        file,
        name: safeName(file.name),
        state: { kind: "hashing", done: 0, total: file.size },
        controller: new AbortController(),
        element,
        status,
        progress,
        retry,
        remove,
      };
      retry.addEventListener("click", () => this.retry(item));
      remove.addEventListener("click", () => this.remove(item));
      this.items.push(item);
      this.list.append(item.element);
      this.draw(item);
      void this.send(item);
    }
  }

  /**
   * The lines naming the attached files for a message being sent, and the tray emptied; undefined
   * while one is still on its way or could not be sent (the tray says so and the message waits).
   */
  take(): string[] | undefined {
    const failed = this.items.some((item) => item.state.kind === "failed");
    if (failed || this.items.some((item) => item.state.kind !== "ready")) {
      this.note.textContent = failed ? t("files.failedBlock") : t("files.notReady");
      this.note.classList.toggle("error", failed);
      return undefined;
    }
    const lines = this.items.flatMap((item) => (item.state.kind === "ready" ? [referenceLine(item.state.file)] : []));
    for (const item of this.items.splice(0)) item.element.remove();
    this.note.textContent = "";
    return lines;
  }

  private relabel(tray: HTMLElement): void {
    this.list.setAttribute("aria-label", t("files.tray"));
    tray.hidden = false;
  }

  private async send(item: Attachment): Promise<void> {
    const { signal } = item.controller;
    const source = fileSource(item.file);
    const set = (state: State) => {
      const changed = state.kind !== item.state.kind;
      item.state = state;
      this.draw(item);
      if (changed && state.kind !== "sending") this.announce(item);
    };
    try {
      item.sha256 ??= await hashSource(source, (done, total) => set({ kind: "hashing", done, total }), signal);
      set({ kind: "sending", done: 0, total: item.file.size });
      let folder = `${FOLDER}/`;
      for (let n = 1; ; n++) {
        const path = `${folder}${numbered(item.name, n)}`;
        try {
          const sent = await upload(() => this.connection.live(), {
            path,
            source,
            sha256: item.sha256,
            signal,
            onProgress: (done, total) => set(done < total ? { kind: "sending", done, total } : { kind: "placing" }),
          });
          if (sent.status === "done") set({ kind: "ready", file: sent.file });
          else set({ kind: "waiting", task: sent.task.id });
          return;
        } catch (error) {
          if (!(error instanceof OraError)) throw error;
          // No ORA folder in the shared folder: the file goes to its top instead.
          if (error.code === "not_found" && folder && n === 1) {
            folder = "";
            n = 0;
            continue;
          }
          // A name taken on the PC: never overwritten, the next number is tried instead.
          if (error.code !== "conflict" || n >= RENAMES) throw error;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      set({ kind: "failed", why: explain(error) });
    }
  }

  private taskChanged(task: Task): void {
    const item = this.items.find((one) => one.state.kind === "waiting" && one.state.task === task.id);
    if (!item || isOpen(task)) return;
    const placed = PlacedFile.safeParse(task.result);
    item.state = task.state === "done" && placed.success ? { kind: "ready", file: placed.data } : { kind: "failed", why: refused(task) };
    this.draw(item);
    this.announce(item);
  }

  /** Pushes missed while this device was away. */
  private async catchUp(): Promise<void> {
    for (const item of this.items) {
      if (item.state.kind !== "waiting") continue;
      try {
        this.taskChanged((await this.connection.request("tasks.get", { id: item.state.task })).task);
      } catch {
        // The PC is away: its pushes, or the next reconnect, bring the news.
      }
    }
  }

  private remove(item: Attachment): void {
    item.controller.abort();
    // Approving it later would place a file nobody wants any more.
    if (item.state.kind === "waiting") void this.connection.request("tasks.cancel", { id: item.state.task }).catch(() => undefined);
    this.items.splice(this.items.indexOf(item), 1);
    item.element.remove();
    this.note.textContent = "";
    this.home();
  }

  private retry(item: Attachment): void {
    item.controller = new AbortController();
    item.state = { kind: item.sha256 ? "sending" : "hashing", done: 0, total: item.file.size };
    this.draw(item);
    this.note.textContent = "";
    // The retry button goes away while it is sent: focus stays on the chip.
    item.remove.focus();
    void this.send(item);
  }

  private draw(item: Attachment): void {
    const { state, file } = item;
    const placedAs = state.kind === "ready" ? state.file.path.split("/").pop() : undefined;
    const fraction = state.kind === "hashing" || state.kind === "sending" ? (state.total === 0 ? 1 : state.done / state.total) : undefined;
    item.element.dataset.state = state.kind;
    item.status.textContent = statusWords(state, placedAs !== item.name ? placedAs : undefined);
    item.status.classList.toggle("error", state.kind === "failed");
    item.progress.hidden = fraction === undefined;
    item.progress.value = Math.floor((fraction ?? 0) * 100);
    item.progress.className = state.kind;
    item.progress.setAttribute("aria-label", t("files.progress", { name: file.name }));
    item.retry.hidden = state.kind !== "failed";
    for (const [button, key] of [
      [item.retry, "files.retry"],
      [item.remove, "files.remove"],
    ] as const) {
      button.setAttribute("aria-label", t(key, { name: file.name }));
      button.title = t(key, { name: file.name });
    }
  }

  private announce(item: Attachment): void {
    this.said.textContent = `${item.file.name}: ${statusWords(item.state)}`;
  }
}

function statusWords(state: State, renamed?: string): string {
  switch (state.kind) {
    case "hashing":
      return t("files.hashing", { percent: percent(state.done, state.total) });
    case "sending":
      return t("files.sending", { percent: percent(state.done, state.total) });
    case "placing":
      return t("files.placing");
    case "waiting":
      return t("files.waiting");
    case "ready":
      return renamed ? t("files.renamed", { name: renamed }) : t("files.ready");
    case "failed":
      return state.why;
  }
}

const percent = (done: number, total: number) => `${total === 0 ? 100 : Math.floor((done / total) * 100)}%`;

/** A browser File read piece by piece (a phone's photo is never held whole in memory). */
function fileSource(file: File): UploadSource {
  return { size: file.size, read: async (offset, length) => new Uint8Array(await file.slice(offset, offset + length).arrayBuffer()) };
}

/** A file name as one path segment on any PC: no separators, no control characters, not too long. */
export function safeName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, "_").replace(/^[\s.]+|[\s.]+$/g, "");
  return (cleaned || "file").slice(0, 200);
}

/** "photo.jpg", then "photo (2).jpg", "photo (3).jpg"… */
export function numbered(name: string, n: number): string {
  if (n === 1) return name;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
}

/** Why placing it did not happen, said of the file rather than of the tool that would have placed it. */
function refused(task: Task): string {
  if (task.state === "denied") return t("files.denied");
  if (task.state === "expired") return t("files.expired");
  return whyNot(task) ?? t("files.expired");
}
