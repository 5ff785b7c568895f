/**
 * How a task reads to a person, shared by the Tasks view and the chat: its state in words and how it
 * ended (the result, or why it did not run). The states are the catalogue's (TASK_STATES).
 */
import type { Task, TaskState } from "@ora/protocol";
import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

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
export const TASK_STEP_WORDS = {
  waiting_approval: "waiting for the owner's approval — you'll be told",
  running: "approved, running…",
  done: "done",
  failed: "failed",
  denied: "denied by the owner",
  expired: "expired: nobody approved it in time",
  cancelled: "cancelled",
} as const satisfies Record<TaskState, string>;

export function isOpen(task: Task): boolean {
  return task.state === "waiting_approval" || task.state === "running";
}

/** Why a task did not end as done, as a sentence; undefined while it is open or when it is done. */
export function whyNot(task: Task): string | undefined {
  if (isOpen(task) || task.state === "done") return undefined;
  const message = task.error?.message.trim() || TASK_STEP_WORDS[task.state];
  const sentence = `${message[0]?.toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? "" : "."}`;
  return task.state === "failed" ? `It ran but failed: ${sentence}` : sentence;
}

/** A tool's result as text: its own words when it returned text, its JSON otherwise. */
export function resultText(result: unknown): string {
  if (typeof result === "string") return result;
  return JSON.stringify(result, null, 2) ?? "(no result)";
}

/** The result in full, for the chat: text as Markdown (what the secretary's answers are), data as JSON. */
export function resultView(result: unknown): Node {
  return typeof result === "string" ? renderMarkdown(result) : h("pre", { class: "result" }, resultText(result));
}

/** The first lines of a result, for a list. */
export function excerpt(text: string, max = 280): string {
  const flat = text.length > max ? `${text.slice(0, max).trimEnd()}…` : text;
  return flat.split("\n").slice(0, 6).join("\n");
}
