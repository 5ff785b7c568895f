/** Durable tasks: one per approval, run at most once, across restarts, judged again when they run. */
import { describe, expect, it } from "vitest";
import { createSafety, type Safety } from "../../node-agent/src/safety/index.js";
import { alice, bob, gus, gwen, harness, local, newClock, standardTools, type Ran } from "./fixtures.js";

/** The same state directory opened again, as after an agent restart. */
function reopen(stateDir: string, clock = newClock(), env: NodeJS.ProcessEnv = {}, profile: "private" | "shared" = "private"): { safety: Safety; ran: Ran[] } {
  const ran: Ran[] = [];
  const safety = createSafety({ stateDir, profile, env, tools: standardTools(ran), now: clock.now });
  return { safety, ran };
}

describe("durable tasks", () => {
  it("answer a call that needs an approval at once with the waiting task, bound to its approval", async () => {
    const h = harness();
    const outcome = await h.safety.callTool(bob, "echo.high", { text: "later" }, { origin: "test", conversation: "c1", toolCall: "call_1" });
    expect(outcome).toMatchObject({ status: "waiting", task: { state: "waiting_approval", tool: "echo.high", risk: "HIGH", conversation: "c1" } });
    const task = outcome.status === "waiting" ? outcome.task : undefined;
    expect(task!.id).toMatch(/^t[0-9a-hjkmnp-tv-z]{8}$/);
    expect(h.safety.approvals.get(task!.approval)).toMatchObject({ status: "pending", args: { text: "later" } });
    expect(task!.expiresAt).toBe(h.safety.approvals.get(task!.approval)!.expiresAt);
    expect(h.ran).toHaveLength(0);
    expect(h.safety.audit.tail(1)[0]).toMatchObject({ event: "task.created", detail: `${task!.id} approval ${task!.approval}` });
  });

  it("show a requester only its own tasks, and an owner everyone's", async () => {
    const h = harness({ profile: "shared", env: { ORA_SHARED_GUEST_ALLOWED_TOOLS: "echo.high" } });
    await h.call(gus, "echo.high", { text: "g" }).pending;
    await h.call(gwen, "echo.high", { text: "w" }).pending;
    expect(h.safety.tasks.list(gus).map((t) => t.requester.device)).toEqual(["dev-gus"]);
    expect(h.safety.tasks.list(alice).map((t) => t.requester.device)).toEqual(["dev-gwen", "dev-gus"]);
    const gwens = h.safety.tasks.list(gwen)[0]!;
    expect(() => h.safety.tasks.visible(gwens.id, gus)).toThrow(/no task/);
    expect(h.safety.tasks.visible(gwens.id, local).id).toBe(gwens.id);
  });

  it("never run a task twice: one that was running when the agent stopped is failed, not run again", async () => {
    const h = harness();
    const call = h.call(bob, "echo.high", { text: "once" });
    const approval = await call.pending;
    const [task] = h.safety.tasks.list(bob);
    // The agent dies after the task started and before it finished.
    h.safety.db.prepare("UPDATE approvals SET status = 'used' WHERE id = ?").run(approval.id);
    h.safety.db.prepare("UPDATE tasks SET state = 'running' WHERE id = ?").run(task!.id);
    h.safety.close();
    const after = reopen(h.stateDir, h.clock);
    after.safety.tasks.recover();
    after.safety.tasks.recover();
    expect(after.safety.tasks.get(task!.id)).toMatchObject({ state: "failed", error: { code: "failed", message: expect.stringContaining("not run again") } });
    expect(after.ran).toHaveLength(0);
    after.safety.close();
  });

  it("run a task whose approval was given just before the agent stopped, once, when it is back", async () => {
    const h = harness();
    const approval = await h.call(bob, "echo.high", { text: "resumed" }).pending;
    const [task] = h.safety.tasks.list(bob);
    // The decision was stored, but the agent stopped before the task started.
    h.safety.db.prepare("UPDATE approvals SET status = 'approved' WHERE id = ?").run(approval.id);
    h.safety.close();
    const after = reopen(h.stateDir, h.clock);
    after.safety.tasks.recover();
    after.safety.tasks.recover();
    await expect(after.safety.tasks.settled(task!.id)).resolves.toMatchObject({ state: "done", result: { echoed: "resumed" } });
    expect(after.ran).toHaveLength(1);
    after.safety.close();
  });

  it("expire a task whose approval ran out while the agent was away", async () => {
    const h = harness();
    await h.call(bob, "echo.high", { text: "too late" }).pending;
    const [task] = h.safety.tasks.list(bob);
    h.safety.close();
    h.clock.advance(3_600_000);
    const after = reopen(h.stateDir, h.clock);
    after.safety.tasks.recover();
    expect(after.safety.tasks.get(task!.id)).toMatchObject({ state: "expired", finishedAt: h.clock.t });
    after.safety.close();
  });

  it("judge a task again when it runs: a guest's tool taken off the allowlist meanwhile does not run", async () => {
    const shared = { ORA_SHARED_GUEST_ALLOWED_TOOLS: "echo.high" };
    const h = harness({ profile: "shared", env: shared });
    const approval = await h.call(gus, "echo.high", { text: "g" }).pending;
    const [task] = h.safety.tasks.list(gus);
    h.safety.close();
    const after = reopen(h.stateDir, h.clock, {}, "shared");
    after.safety.tasks.recover();
    after.safety.approvals.decide(approval.id, { verdict: "approve" }, local);
    await expect(after.safety.tasks.settled(task!.id)).resolves.toMatchObject({ state: "failed", error: { code: "not_found" } });
    expect(after.ran).toHaveLength(0);
    after.safety.close();
  });

  it("keep a result too large to store as a note, not as the result", async () => {
    const big = "x".repeat(600_000);
    const h = harness({ policy: { maxArgsBytes: 1_000_000 } });
    const call = h.call(bob, "echo.high", { text: big });
    h.safety.approvals.decide((await call.pending).id, { verdict: "approve" }, local);
    await expect(call.result).resolves.toEqual({ note: expect.stringContaining("too large to keep") });
  });

  it("tell listeners of every state a task goes through", async () => {
    const h = harness();
    const seen: string[] = [];
    h.safety.tasks.onChange((task) => seen.push(task.state));
    const call = h.call(alice, "echo.high", { text: "go" });
    h.safety.approvals.decide((await call.pending).id, { verdict: "approve" }, local);
    await call.result;
    expect(seen).toEqual(["waiting_approval", "running", "done"]);
  });
});
