/**
 * A tool's result as a person reads it, by its shape (node-agent/src/tools/ says the shapes): notes
 * and folder entries as lists, a file's text as text, a fetched page as its title and an excerpt, a
 * program's output as output, anything else as JSON (open when short, folded when long). Text from
 * the PC always goes in as text; the one exception is a result that is itself text, which is the
 * secretary's Markdown (markdown.ts sanitises it). In the chat, each file of a folder or a file read
 * has a download button (the chat's log handles its click: web/src/files/save.ts).
 */
import { h, icon } from "../dom.js";
import { explain } from "../errors.js";
import { formatDateTime, formatNumber, plural, t } from "../i18n/index.js";
import { renderMarkdown } from "../markdown.js";
import { jsonBlock, jsonLines } from "./json.js";

/** JSON up to this many lines is shown open; longer JSON is folded behind its summary. */
const OPEN_LINES = 14;
const EXCERPT_CHARS = 320;

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const arrayOf = <T>(value: unknown, item: (entry: unknown) => entry is T): value is T[] => Array.isArray(value) && value.every(item);

interface Note {
  id: number;
  text: string;
  createdAt: string;
}
const isNote = (value: unknown): value is Note => isObject(value) && isNumber(value.id) && isString(value.text) && isString(value.createdAt);

interface Entry {
  name: string;
  type: string;
  size?: number;
}
const isEntry = (value: unknown): value is Entry => isObject(value) && isString(value.name) && isString(value.type);

/** Where files of a result can be downloaded from: the shared folder the call named (the first when none). */
export interface Downloads {
  root?: string | number;
}

/** The shared folder a `/run files.list|files.read {…}` named, for its result's download buttons. */
export function downloadsOf(text: string): Downloads | undefined {
  const run = /^\/run\s+files\.(?:list|read)(?:\s+(\{[\s\S]*\}))?\s*$/.exec(text.trim());
  if (!run) return undefined;
  try {
    const root: unknown = run[1] ? JSON.parse(run[1]).root : undefined;
    return typeof root === "string" || typeof root === "number" ? { root } : {};
  } catch {
    return undefined;
  }
}

/** The result of any tool call, in the chat or in a task's outcome. */
export function resultView(result: unknown, downloads?: Downloads): Node {
  if (isString(result)) return renderMarkdown(result);
  if (result === undefined || result === null) return h("p", {}, t("chat.result.done"));
  if (isObject(result)) {
    if (arrayOf(result.notes, isNote)) return notesView(result.notes);
    if (isString(result.path) && arrayOf(result.entries, isEntry)) return folderView(result.path, result.entries, result.truncated === true, downloads);
    if (isString(result.path) && isString(result.content) && isNumber(result.size)) return fileView(result, downloads);
    if (isString(result.url) && isString(result.text) && isNumber(result.status)) return pageView(result);
    if (isString(result.stdout) && isString(result.stderr) && "exitCode" in result) return programView(result);
    if (isString(result.path) && isNumber(result.bytes) && typeof result.created === "boolean") return writtenView(result.path, result.bytes, result.created);
    if (isNumber(result.id) && isString(result.createdAt) && Object.keys(result).length === 2) return h("p", {}, t("chat.result.noteSaved", { id: result.id }));
  }
  return jsonView(result);
}

/** Why something failed, as a sentence with its error code's words. */
export function errorView(error: unknown): HTMLElement {
  return h("p", { class: "error" }, explain(error));
}

function notesView(notes: Note[]): HTMLElement {
  if (notes.length === 0) return h("p", { class: "result-empty" }, t("chat.result.noNotes"));
  return h(
    "div",
    { class: "result notes-result" },
    h("p", { class: "result-head" }, plural("chat.result.notes", notes.length)),
    h(
      "ul",
      { class: "result-list" },
      ...notes.map((note) => {
        const at = Date.parse(note.createdAt);
        return h(
          "li",
          {},
          h("span", { class: "item-text" }, note.text),
          Number.isNaN(at) ? null : h("time", { class: "item-meta", datetime: note.createdAt }, formatDateTime(at)),
        );
      }),
    ),
  );
}

function folderView(path: string, entries: Entry[], truncated: boolean, downloads?: Downloads): HTMLElement {
  return h(
    "div",
    { class: "result folder-result" },
    h("p", { class: "result-head" }, h("code", {}, path || ".")),
    entries.length === 0
      ? h("p", { class: "result-empty" }, t("chat.result.emptyFolder"))
      : h(
          "ul",
          { class: "result-list" },
          ...entries.map((entry) =>
            h(
              "li",
              { class: `entry-${entry.type}` },
              h("span", { class: "item-text" }, entry.type === "dir" ? `${entry.name}/` : entry.name),
              h("span", { class: "item-meta" }, entry.type === "dir" ? t("chat.result.folder") : isNumber(entry.size) ? bytes(entry.size) : ""),
              entry.type === "file" && downloads && downloadButton(downloads, path === "." || path === "" ? entry.name : `${path}/${entry.name}`, entry.name),
            ),
          ),
        ),
    truncated && h("p", { class: "result-note" }, t("chat.result.moreEntries")),
  );
}

function fileView(file: Fields, downloads?: Downloads): HTMLElement {
  const base64 = file.encoding === "base64";
  const path = String(file.path);
  return h(
    "div",
    { class: "result file-result" },
    h(
      "p",
      { class: "result-head" },
      h("code", {}, path),
      h("span", { class: "item-meta" }, bytes(Number(file.size))),
      downloads && downloadButton(downloads, path, path.split("/").pop() || path),
    ),
    base64
      ? h("p", { class: "result-note" }, t("chat.result.binary", { bytes: formatNumber(Number(file.bytes ?? 0)) }))
      : h("pre", { class: "file-text" }, String(file.content)),
    file.truncated === true &&
      h("p", { class: "result-note" }, t("chat.result.fileCut", { bytes: formatNumber(Number(file.bytes ?? 0)), size: formatNumber(Number(file.size)) })),
  );
}

/**
 * A fetched page: its title and the start of its words. The HTML is never parsed into a document
 * (even an inert one tries its inline handlers): tags are cut out of the text, entities decoded.
 */
function pageView(page: Fields): HTMLElement {
  const url = String(page.url);
  const body = String(page.text);
  const html = /html/i.test(String(page.contentType ?? ""));
  const title = html ? decodeEntities(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1] ?? "").trim() : "";
  const words = html ? htmlWords(body) : body;
  const flat = words.replace(/\s+/g, " ").trim();
  const excerpt = flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS).trimEnd()}…` : flat;
  const safeLink = /^https?:\/\//i.test(url);
  const heading = title || (html ? t("chat.result.untitled") : url);
  return h(
    "div",
    { class: "result page-result" },
    h("p", { class: "page-title" }, safeLink ? h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, heading) : heading),
    h("p", { class: "item-meta page-url" }, `${url} · ${String(page.status)}`),
    excerpt && h("p", { class: "page-excerpt" }, excerpt),
    page.truncated === true && h("p", { class: "result-note" }, t("chat.result.pageCut")),
  );
}

function writtenView(path: string, size: number, created: boolean): HTMLElement {
  return h(
    "p",
    { class: "result written-result" },
    created ? t("chat.result.created") : t("chat.result.written"),
    " ",
    h("code", {}, path),
    h("span", { class: "item-meta" }, ` · ${bytes(size)}`),
  );
}

function programView(run: Fields): HTMLElement {
  const stdout = String(run.stdout);
  const stderr = String(run.stderr);
  return h(
    "div",
    { class: "result program-result" },
    stdout && h("pre", { class: "output" }, stdout.replace(/\n$/, "")),
    stderr && h("pre", { class: "output stderr" }, stderr.replace(/\n$/, "")),
    h("p", { class: "item-meta" }, t("chat.result.exitCode", { code: String(run.exitCode ?? run.signal ?? "—") })),
  );
}

/** Anything else: its JSON, open when short, folded behind a summary when long. */
export function jsonView(value: unknown): HTMLElement {
  const lines = jsonLines(value);
  return h(
    "details",
    { class: "result json-result", open: lines <= OPEN_LINES },
    h("summary", {}, lines <= OPEN_LINES ? t("chat.result.json") : t("chat.result.jsonLines", { count: formatNumber(lines) })),
    jsonBlock(value),
  );
}

const BLOCK =
  /<\/?(?:p|div|h[1-6]|li|br|hr|tr|td|th|section|article|header|footer|nav|main|aside|ul|ol|dl|dt|dd|table|blockquote|pre|figure|figcaption)\b[^>]*>/gi;

/** The words of an HTML page, without its head, scripts, styles or tags. */
function htmlWords(html: string): string {
  const content = html
    .replace(/<head[\s>][\s\S]*?<\/head>/gi, " ")
    .replace(/<(script|style|noscript|template)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(BLOCK, " ")
    .replace(/<[^>]*>/g, "");
  return decodeEntities(content);
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] !== "#") return NAMED[name.toLowerCase()] ?? whole;
    const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** A file's download button: what to fetch rides on it, the chat's log handles the click. */
function downloadButton(downloads: Downloads, path: string, name: string): HTMLElement {
  const label = t("files.download", { name });
  return h(
    "button",
    {
      type: "button",
      class: "file-download",
      "data-path": path,
      "data-name": name,
      "data-root": downloads.root === undefined ? undefined : JSON.stringify(downloads.root),
      "aria-label": label,
      title: label,
    },
    icon("download"),
  );
}

/** A size as people read it: "26 B", "3.4 KB", "2.3 MB". */
export function bytes(size: number): string {
  if (!Number.isFinite(size)) return "";
  if (size < 1024) return t("chat.result.bytes", { count: formatNumber(size) });
  if (size < 1024 * 1024) return t("chat.result.kilobytes", { count: formatNumber(Math.round(size / 102.4) / 10) });
  return t("chat.result.megabytes", { count: formatNumber(Math.round(size / 104_857.6) / 10) });
}
