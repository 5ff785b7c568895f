/**
 * What notifies, and whom: an approval that is asked → every paired device that may decide it (the
 * same rule as the sealed `approval` push, methods/approvals.ts); a task that ends → its requester's
 * device. The text is short and carries no secret: a tool name, a risk, a device name, an outcome.
 * Never the arguments, a result or a CRITICAL approval's code (the event does not even hold it).
 */
import { createHash } from "node:crypto";
import type { NotificationBody, Task } from "@ora/protocol";
import { describeRequester } from "../safety/requester.js";
import { mayDecide } from "../methods/approvals.js";
import type { ApprovalEvent, Safety } from "../safety/index.js";
import type { PairedDevices } from "../secure/paired-devices.js";
import type { Logger } from "../log.js";
import type { Notifier } from "./notifier.js";

const DAY_SEC = 86_400;
/** The line for a task that ended, by how it ended (cancelled: whoever cancelled it knows). */
const TASK_ENDINGS: Partial<Record<Task["state"], (tool: string) => string>> = {
  done: (tool) => `Done: ${tool}`,
  failed: (tool) => `Failed: ${tool}`,
  denied: (tool) => `Denied: ${tool}`,
  expired: (tool) => `Expired: nobody approved ${tool} in time`,
};

/** Starts notifying; returns what stops it. */
export function notifyOnEvents(safety: Safety, paired: PairedDevices, notifier: Notifier, log: Logger): () => void {
  const guarded =
    <T>(what: string, listener: (value: T) => void) =>
    (value: T) => {
      try {
        listener(value);
      } catch (error) {
        log.warn(`no notification for ${what}`, { reason: error instanceof Error ? error.message : "error" });
      }
    };
  const offApprovals = safety.approvals.onChange(guarded("an approval", (event: ApprovalEvent) => approvalAsked(event, paired, notifier, safety)));
  const offTasks = safety.tasks.onChange(guarded("a task", (task: Task) => taskEnded(task, notifier)));
  return () => {
    offApprovals();
    offTasks();
  };
}

function approvalAsked(event: ApprovalEvent, paired: PairedDevices, notifier: Notifier, safety: Safety): void {
  const { approval } = event;
  if (event.type !== "created") return;
  const ttl = Math.floor((approval.expiresAt - Date.now()) / 1000);
  if (ttl <= 0) return;
  const { requester } = approval;
  const asker =
    requester.via === "local"
      ? "this PC"
      : requester.via === "discord"
        ? describeRequester(requester)
        : (paired.get(requester.device)?.name ?? `device ${requester.device}`);
  const body: NotificationBody = {
    title: safety.profile === "shared" ? "ORA (shared)" : "ORA",
    body: clip(`Approval needed: ${approval.tool} (${approval.risk}) asked by ${asker}`, 400),
    url: "/#approvals",
    tag: approval.id,
  };
  for (const device of paired.list()) {
    if (mayDecide(device, event)) void notifier.notify(device.id, body, { ttl, urgency: "high", topic: topicOf(approval.id) });
  }
}

function taskEnded(task: Task, notifier: Notifier): void {
  const ending = TASK_ENDINGS[task.state];
  if (!ending || task.requester.via !== "relay") return;
  const body: NotificationBody = { title: "ORA", body: clip(ending(task.tool), 400), url: `/#tasks/${task.id}`, tag: task.id };
  void notifier.notify(task.requester.device, body, { ttl: DAY_SEC, urgency: "normal", topic: topicOf(task.id) });
}

/**
 * RFC 8030 §5.4: a newer message with the same topic replaces one not yet delivered. At most 32
 * base64url characters; a hash, so the relay learns no id from it.
 */
export function topicOf(tag: string): string {
  return createHash("sha256").update(`ora-topic:${tag}`).digest("base64url").slice(0, 32);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
