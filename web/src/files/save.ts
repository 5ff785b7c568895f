/**
 * A file of the PC saved on this device, from its download button in a chat result (results.ts):
 * fetched piece by piece with download() (protocol/src/transfer.ts), with its progress and a stop
 * button beside it. Where the browser lets a page write a file the reader picked (the File System
 * Access API, desktop Chromium), each piece goes to disk as it arrives; elsewhere (phones) the pieces
 * become Blob parts, folded into one Blob every few MiB so the browser may keep them on disk, and the
 * whole file is handed to the browser's downloads under its name.
 */
import { download } from "@ora/protocol";
import type { Connection } from "../connection.js";
import { h, icon } from "../dom.js";
import { explain } from "../errors.js";
import { t } from "../i18n/index.js";

/** Pieces held as separate arrays before they are folded into one Blob. */
const FOLD_BYTES = 8 * 1024 * 1024;

interface Sink {
  write(bytes: Uint8Array): Promise<void> | void;
  close(): Promise<void> | void;
  abort(): Promise<void> | void;
}

interface SaveFilePicker {
  showSaveFilePicker?: (options: { suggestedName: string }) => Promise<{
    createWritable(): Promise<{ write(data: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> }>;
  }>;
}

const running = new WeakSet<HTMLButtonElement>();

/** Downloads the file a result's button names; the button's row shows how it goes. */
export async function saveFromPc(connection: Connection, button: HTMLButtonElement): Promise<void> {
  const { path, name = "file" } = button.dataset;
  if (!path || running.has(button)) return;
  const root = button.dataset.root === undefined ? undefined : (JSON.parse(button.dataset.root) as string | number);
  const row = button.parentElement ?? button;
  const status = row.querySelector<HTMLElement>(".download-status") ?? h("span", { class: "download-status", role: "status" });
  status.textContent = "";
  status.classList.remove("error");
  row.append(status);

  let sink: Sink;
  try {
    sink = await pickSink(name);
  } catch (error) {
    // The reader closed the save dialog: nothing to do.
    if (error instanceof DOMException && error.name === "AbortError") return;
    sink = blobSink(name);
  }

  running.add(button);
  const controller = new AbortController();
  const progress = h("progress", { max: 100, value: 0, "aria-label": t("files.progress", { name }) });
  const percent = h("span", { class: "download-percent" }, t("files.downloading", { percent: "0%" }));
  const stop = h(
    "button",
    { type: "button", class: "download-stop", "aria-label": t("files.stop", { name }), title: t("files.stop", { name }), onclick: () => controller.abort() },
    icon("close"),
  );
  const shown = h("span", { class: "download-progress" }, progress, percent, stop);
  button.hidden = true;
  button.after(shown);
  stop.focus();
  try {
    await download(() => connection.live(), {
      ...(root === undefined ? {} : { root }),
      path,
      signal: controller.signal,
      write: (bytes) => sink.write(bytes),
      onProgress: (done, total) => {
        const value = total === 0 ? 100 : Math.floor((done / total) * 100);
        progress.value = value;
        percent.textContent = t("files.downloading", { percent: `${value}%` });
      },
    });
    await sink.close();
    status.textContent = t("files.saved", { name });
  } catch (error) {
    await Promise.resolve(sink.abort()).catch(() => undefined);
    status.textContent = controller.signal.aborted ? t("files.stopped") : explain(error);
    status.classList.toggle("error", !controller.signal.aborted);
  } finally {
    const focused = document.activeElement === stop;
    shown.remove();
    button.hidden = false;
    if (focused) button.focus();
    running.delete(button);
  }
}

/** Straight to a file the reader picks, where the browser offers that; the Blob path otherwise. */
async function pickSink(name: string): Promise<Sink> {
  const picker = (window as unknown as SaveFilePicker).showSaveFilePicker;
  if (!picker) return blobSink(name);
  const writable = await (await picker({ suggestedName: name })).createWritable();
  return { write: (bytes) => writable.write(bytes), close: () => writable.close(), abort: () => writable.abort() };
}

function blobSink(name: string): Sink {
  const parts: Blob[] = [];
  let pending: Uint8Array<ArrayBuffer>[] = [];
  let pendingBytes = 0;
  const fold = () => {
    if (pending.length) parts.push(new Blob(pending));
    pending = [];
    pendingBytes = 0;
  };
  return {
    write(bytes) {
      pending.push(bytes as Uint8Array<ArrayBuffer>);
      pendingBytes += bytes.length;
      if (pendingBytes >= FOLD_BYTES) fold();
    },
    close() {
      fold();
      const url = URL.createObjectURL(new Blob(parts, { type: "application/octet-stream" }));
      const link = h("a", { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      // The browser has read the Blob once its download started; a minute is plenty.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
    abort() {
      parts.length = 0;
      pending = [];
    },
  };
}
