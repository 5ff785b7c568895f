/** Lockdown in the safety core: the enforcement point's refusal, what entering cancels, and that it lasts across a restart. */
import { describe, expect, it } from "vitest";
import { createSafety } from "../../node-agent/src/safety/index.js";
import { alice, bob, harness, local, standardTools } from "./fixtures.js";

describe("lockdown", () => {
  it("refuses every call that would need an approval with locked_down, audited, and lets LOW and MEDIUM run", async () => {
    const h = harness();
    h.safety.lockdown.enter(alice);
    for (const tool of ["echo.high", "echo.critical"]) {
      await expect(h.safety.callTool(alice, tool, { text: "x" }, { origin: "test" })).rejects.toMatchObject({ code: "locked_down" });
    }
    expect(h.safety.audit.tail(1)[0]).toMatchObject({ event: "policy", tool: "echo.critical", status: "locked_down" });
    expect(await h.call(alice, "echo.low", { text: "low" }).result).toEqual({ echoed: "low" });
    expect(await h.call(bob, "echo.medium", { text: "medium" }).result).toEqual({ echoed: "medium" });
    expect(h.ran.map((r) => r.tool)).toEqual(["echo.low", "echo.medium"]);
  });

  it("cancels every waiting task and withdraws its approval, audited as the owner who entered it; once, however often it is entered", async () => {
    const h = harness();
    const first = h.call(bob, "echo.high", { text: "one" });
    const second = h.call(alice, "echo.critical", { text: "two" });
    const approvals = await Promise.all([first.pending, second.pending]);
    const entered = h.safety.lockdown.enter(alice);
    expect(entered).toMatchObject({
      already: false,
      cancelledTasks: 2,
      keepDevice: "dev-alice",
      status: { locked: true, by: "alice (owner, device dev-alice)" },
    });
    await expect(first.result).rejects.toMatchObject({ code: "cancelled", message: "cancelled by the lockdown" });
    await expect(second.result).rejects.toMatchObject({ code: "cancelled" });
    for (const approval of approvals) expect(h.safety.approvals.get(approval.id)!.status).toBe("denied");
    expect(h.safety.audit.tail(20).filter((e) => e.event === "approval.withdrawn")).toHaveLength(2);
    expect(h.safety.lockdown.enter(local)).toMatchObject({ already: true, cancelledTasks: 0, keepDevice: "dev-alice" });
    expect(h.safety.audit.tail(50).filter((e) => e.event === "lockdown.enter")).toHaveLength(1);
    expect(h.ran).toEqual([]);
  });

  it("refuses, at run time, a task whose approval came in as the lockdown began", async () => {
    const h = harness();
    const call = h.call(bob, "echo.high", { text: "raced" });
    const approval = await call.pending;
    h.safety.approvals.decide(approval.id, { verdict: "approve" }, alice);
    // The decision is recorded; the task starts a moment later, by which time the PC is locked.
    h.safety.db.prepare("INSERT INTO meta (key, value) VALUES ('lockdown', ?)").run(JSON.stringify({ since: 1, by: "test", keepDevice: null }));
    await expect(call.result).rejects.toMatchObject({ code: "locked_down" });
    expect(h.ran).toEqual([]);
  });

  it("lasts across a restart until it is lifted; what it cancelled stays cancelled", async () => {
    const h = harness();
    const call = h.call(bob, "echo.high", { text: "before" });
    const approval = await call.pending;
    h.safety.lockdown.enter(local);
    await call.result.catch(() => undefined);
    h.safety.close();
    const after = createSafety({ stateDir: h.stateDir, profile: "private", tools: standardTools([]), now: h.clock.now });
    expect(after.lockdown.status()).toMatchObject({ locked: true, by: "the local CLI" });
    await expect(after.callTool(alice, "echo.high", { text: "x" }, { origin: "test" })).rejects.toMatchObject({ code: "locked_down" });
    expect(after.lockdown.exit(local)).toEqual({ locked: false, since: null, by: null });
    expect(after.approvals.get(approval.id)!.status).toBe("denied");
    expect(await after.callTool(alice, "echo.high", { text: "x" }, { origin: "test" })).toMatchObject({ status: "waiting" });
    after.close();
  });
});
