/** A task as one terminal line, for `ora-agent tasks` and `ora-agent remote tasks`. */
import type { Task } from "@ora/protocol";
import { escapeControls } from "../text.js";

const STATE_WORDS: Record<Task["state"], string> = {
  waiting_approval: "waiting for approval",
  running: "running",
  done: "done",
  failed: "failed",
  denied: "denied",
  expired: "expired",
  cancelled: "cancelled",
};

export function taskLine(task: Task, now = Date.now()): string {
  const age = ago(now - task.createdAt);
  const outcome = task.error ? ` — ${escapeControls(task.error.message)}` : task.state === "waiting_approval" ? ` — approval ${task.approval}` : "";
  return `${task.id}  ${STATE_WORDS[task.state].padEnd(20)} ${task.tool} (${task.risk})  asked ${age} ago${outcome}`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d`;
}
