/** Calls through the safety core's enforcement point, for tests that want a tool's result. */
import type { CallOptions, Requester, Safety } from "../../node-agent/src/safety/index.js";

type Outcome = Awaited<ReturnType<Safety["callTool"]>>;

/** The result of a call that ran at once; fails the test when it became a waiting task instead. */
export async function ranNow(call: Promise<Outcome>): Promise<unknown> {
  const outcome = await call;
  if (outcome.status !== "done") throw new Error(`expected the call to run at once, but it became task ${outcome.task.id} waiting for approval`);
  return outcome.result;
}

/**
 * Calls a tool that needs an approval and gives the owner's `verdict` on it from the PC's command
 * line as soon as its task exists; resolves with the tool's result, or rejects with the task's error.
 */
export async function decidedCall(
  safety: Safety,
  decider: Requester,
  requester: Requester,
  tool: string,
  args: unknown,
  verdict: "approve" | "deny" = "approve",
  options: Partial<CallOptions> = {},
): Promise<{ result: unknown; approval: string }> {
  const outcome = await safety.callTool(requester, tool, args, { origin: "test", ...options });
  if (outcome.status === "done") throw new Error(`expected ${tool} to wait for an approval, but it ran at once`);
  safety.approvals.decide(outcome.task.approval, { verdict }, decider);
  const task = await safety.tasks.settled(outcome.task.id);
  if (task.state !== "done") throw Object.assign(new Error(task.error?.message ?? task.state), { code: task.error?.code, task });
  return { result: task.result, approval: outcome.task.approval };
}
