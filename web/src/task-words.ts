/**
 * How a task reads to a person, shared by the Tasks view and the chat: its state in words and how it
 * ended (the result, or why it did not run). The states are the catalogue's (TASK_STATES).
 */
import type { Task, TaskState } from "@ora/protocol";
import { resultView as viewByKind } from "./chat/results.js";
import { t } from "./i18n/index.js";

/** The state as a label (Tasks view). */
export const TASK_LABELS = {
  waiting_approval: "Waiting for approval",
  running: "Running",
  done: "Done",
  failed: "Failed",
  denied: "Denied",
  expired: "Expired",
  cancelled: "Cancelled",
} as const satisfies Record<TaskState, string>;

/** The state after a tool's name, as a chat step reads ("files.write denied by the owner"). */
export function taskStepWords(state: TaskState): string {
  const words = {
    waiting_approval: () => t("chat.task.waiting_approval"),
    running: () => t("chat.task.running"),
    done: () => t("chat.task.done"),
    failed: () => t("chat.task.failed"),
    denied: () => t("chat.task.denied"),
    expired: () => t("chat.task.expired"),
    cancelled: () => t("chat.task.cancelled"),
  } satisfies Record<TaskState, () => string>;
  return words[state]();
}

export function isOpen(task: Task): boolean {
  return task.state === "waiting_approval" || task.state === "running";
}

/** Why a task did not end as done, as a sentence; undefined while it is open or when it is done. */
export function whyNot(task: Task): string | undefined {
  if (isOpen(task) || task.state === "done") return undefined;
  // The PC's words for these two are fixed (safety/tasks.ts): said here in the reader's language.
  if (task.state === "denied") return t("chat.why.denied", { tool: task.tool });
  if (task.state === "expired") return t("chat.why.expired", { tool: task.tool });
  const message = task.error?.message.trim() || taskStepWords(task.state);
  const sentence = `${message[0]?.toUpperCase()}${message.slice(1)}${/[.!?。]$/.test(message) ? "" : "."}`;
  return task.state === "failed" ? t("chat.task.ranButFailed", { why: sentence }) : sentence;
}

/** A tool's result as text: its own words when it returned text, its JSON otherwise. */
export function resultText(result: unknown): string {
  if (typeof result === "string") return result;
  return JSON.stringify(result, null, 2) ?? "(no result)";
}

/** The result in full, by its kind (chat/results.ts): text as Markdown, lists as lists, other data as JSON. */
export function resultView(result: unknown): Node {
  return viewByKind(result);
}

/** The first lines of a result, for a list. */
export function excerpt(text: string, max = 280): string {
  const flat = text.length > max ? `${text.slice(0, max).trimEnd()}…` : text;
  return flat.split("\n").slice(0, 6).join("\n");
}
