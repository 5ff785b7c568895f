/** Follows the `task` pushes a client receives, so tests wait on a task's end instead of polling. */
import { type ApprovalView, FINAL_TASK_STATES, type OraClient, type Task } from "@ora/protocol";
import { until } from "./peer.js";

export interface TaskWatch {
  /** Every state each task was pushed in, in order. */
  readonly seen: Map<string, Task[]>;
  /** Resolves with the task once a push says it ended (already, or later). */
  ended(id: string, ms?: number): Promise<Task>;
  stop(): void;
}

export function watchTasks(client: OraClient): TaskWatch {
  const seen = new Map<string, Task[]>();
  const waiters = new Set<{ id: string; resolve: (task: Task) => void }>();
  const final = (task: Task) => (FINAL_TASK_STATES as readonly string[]).includes(task.state);
  const stop = client.onPush((push) => {
    if (push.event !== "task") return;
    const { task } = push.data;
    seen.set(task.id, [...(seen.get(task.id) ?? []), task]);
    if (!final(task)) return;
    for (const waiter of waiters) if (waiter.id === task.id) waiters.delete(waiter), waiter.resolve(task);
  });
  return {
    seen,
    stop,
    ended(id, ms = 10_000) {
      const done = seen.get(id)?.find(final);
      if (done) return Promise.resolve(done);
      return new Promise((resolve, reject) => {
        const waiter = { id, resolve: (task: Task) => (clearTimeout(timer), resolve(task)) };
        const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`task ${id} did not end within ${ms} ms`))), ms);
        waiters.add(waiter);
      });
    },
  };
}

/** The first approval for `tool` that `owner` can see, once there is one (approvals.list asked until then). */
export async function approvalFor(owner: OraClient, tool: string): Promise<ApprovalView> {
  let found: ApprovalView | undefined;
  await until(
    async () => {
      const { approvals } = await owner.request("approvals.list");
      found = approvals.find((a) => a.tool === tool);
      return found !== undefined;
    },
    5000,
    `an approval for ${tool}`,
  );
  return found!;
}
