import { describe, expect, it, vi } from "vitest";
import type { ApprovalEvent } from "../../node-agent/src/safety/approvals.js";
import { createSafety } from "../../node-agent/src/safety/index.js";
import { alice, bob, carol, gus, harness, local, newClock, standardTools, type Ran } from "./fixtures.js";

describe("approvals", () => {
  it("make a HIGH call wait as a task until the owner approves, then run it once", async () => {
    const h = harness();
    const call = h.call(bob, "echo.high", { text: "go" });
    const approval = await call.pending;
    expect(approval).toMatchObject({
      tool: "echo.high",
      risk: "HIGH",
      status: "pending",
      args: { text: "go" },
      requester: { device: "dev-bob" },
      origin: "test",
      needsCode: false,
    });
    expect(approval.id).toMatch(/^[0-9a-hjkmnp-tv-z]{8}$/);
    expect(approval.expiresAt - approval.createdAt).toBe(3_600_000);
    expect(h.ran).toHaveLength(0);
    expect(h.safety.approvals.decide(approval.id, { verdict: "approve" }, alice)).toBe("approved");
    await expect(call.result).resolves.toEqual({ echoed: "go" });
    expect(h.safety.approvals.get(approval.id)?.status).toBe("used");
  });

  it("refuse the call with denied when the owner denies it", async () => {
    const h = harness();
    const call = h.call(alice, "echo.high", { text: "no" });
    h.safety.approvals.decide((await call.pending).id, { verdict: "deny" }, local);
    await expect(call.result).rejects.toMatchObject({ code: "denied", message: "the owner denied echo.high", task: { state: "denied" } });
    expect(h.ran).toHaveLength(0);
  });

  it("expire after their TTL and then count as denied", async () => {
    const h = harness({ policy: { approvalTtlMs: 60_000 } });
    const call = h.call(alice, "echo.high", { text: "late" });
    const approval = await call.pending;
    h.clock.advance(59_999);
    h.safety.approvals.sweep();
    expect(h.safety.approvals.get(approval.id)?.status).toBe("pending");
    h.clock.advance(1);
    h.safety.approvals.sweep();
    await expect(call.result).rejects.toMatchObject({ code: "denied", message: "nobody approved echo.high in time", task: { state: "expired" } });
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve" }, alice)).toThrow(/already expired/);
  });

  it("expire on their own timer, without anyone looking", async () => {
    const h = harness({ policy: { approvalTtlMs: 50 }, clock: { t: 0, now: Date.now, advance: () => undefined } });
    const call = h.call(alice, "echo.high", { text: "nobody home" });
    await expect(call.result).rejects.toMatchObject({ code: "denied" });
  });

  it("keep no timer while nothing can expire, and one timer for the next expiry while something can", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
    try {
      const h = harness({ policy: { approvalTtlMs: 60_000 }, clock: { t: 0, now: Date.now, advance: () => undefined } });
      expect(vi.getTimerCount()).toBe(0);
      const call = h.call(alice, "echo.high", { text: "later" });
      const approval = await call.pending;
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(59_999);
      expect(h.safety.approvals.get(approval.id)?.status).toBe("pending");
      vi.advanceTimersByTime(1);
      await expect(call.result).rejects.toMatchObject({ code: "denied", task: { state: "expired" } });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("are bound to the exact arguments: an approval for one set does not run another", async () => {
    const h = harness();
    const first = h.call(alice, "echo.high", { text: "a" });
    const a = await first.pending;
    const second = h.call(alice, "echo.high", { text: "b" });
    const b = await second.pending;
    expect(b.id).not.toBe(a.id);
    expect(b.argsHash).not.toBe(a.argsHash);
    h.safety.approvals.decide(a.id, { verdict: "approve" }, local);
    await expect(first.result).resolves.toEqual({ echoed: "a" });
    expect(h.safety.approvals.get(b.id)?.status).toBe("pending");
    expect(h.ran.map((r) => r.args)).toEqual([{ text: "a" }]);
  });

  it("are used once: the same call again needs a new approval", async () => {
    const h = harness();
    const first = h.call(alice, "echo.high", { text: "once" });
    const a = await first.pending;
    h.safety.approvals.decide(a.id, { verdict: "approve" }, local);
    await first.result;
    const again = h.call(alice, "echo.high", { text: "once" });
    expect((await again.pending).id).not.toBe(a.id);
    expect(h.ran).toHaveLength(1);
    expect(h.safety.approvals.consume(a.id, { tool: "echo.high", argsHash: a.argsHash, requester: alice })).toBe(false);
  });

  it("belong to exactly one call: identical calls get their own approvals, and approving one runs only that one", async () => {
    const h = harness();
    const one = h.call(alice, "echo.high", { text: "same" });
    const two = h.call(alice, "echo.high", { text: "same" });
    const [a, b] = await Promise.all([one.pending, two.pending]);
    expect(b.id).not.toBe(a.id);
    h.safety.approvals.decide(a.id, { verdict: "approve" }, local);
    await expect(one.result).resolves.toEqual({ echoed: "same" });
    expect(h.ran).toHaveLength(1);
    expect(h.safety.approvals.get(b.id)?.status).toBe("pending");
  });

  it("give HIGH and CRITICAL approvals their own lifetimes", async () => {
    const h = harness({ policy: { approvalTtlMs: 7_200_000, criticalApprovalTtlMs: 120_000 } });
    const high = await h.call(alice, "echo.high", { text: "h" }).pending;
    const critical = await h.call(alice, "echo.critical", { text: "c" }).pending;
    expect(high.expiresAt - high.createdAt).toBe(7_200_000);
    expect(critical.expiresAt - critical.createdAt).toBe(120_000);
  });

  it("are decided by the owner; a sub-admin may decide others' HIGH but not its own, and no guest decides", async () => {
    const h = harness();
    const bobs = await h.call(bob, "echo.high", { text: "bob" }).pending;
    expect(() => h.safety.approvals.decide(bobs.id, { verdict: "approve" }, bob)).toThrow(/cannot decide its own request/);
    expect(() => h.safety.approvals.decide(bobs.id, { verdict: "approve" }, gus)).toThrow(/guests cannot decide/);
    expect(h.safety.approvals.decide(bobs.id, { verdict: "approve" }, carol)).toBe("approved");
    const critical = await h.call(bob, "echo.critical", { text: "c" }).pending;
    expect(() => h.safety.approvals.decide(critical.id, { verdict: "approve", code: "000000" }, carol)).toThrow(/only the owner/);
    expect(() => h.safety.approvals.decide(critical.id, { verdict: "deny" }, carol)).toThrow(/only the owner/);
  });

  it("list only what the viewer may decide, with CRITICAL codes for the PC's command line only", async () => {
    const h = harness();
    await h.call(alice, "echo.high", { text: "h" }).pending;
    await h.call(alice, "echo.critical", { text: "c" }).pending;
    const owner = h.safety.approvals.list(local);
    expect(owner.map((a) => [a.tool, a.code === undefined])).toEqual([
      ["echo.critical", false],
      ["echo.high", true],
    ]);
    expect(owner[0]!.code).toMatch(/^\d{6}$/);
    // An owner device never sees the code: a stolen unlocked phone must not be able to read it.
    expect(h.safety.approvals.list(alice).map((a) => [a.tool, a.code, a.needsPasskey])).toEqual([
      ["echo.critical", undefined, true],
      ["echo.high", undefined, undefined],
    ]);
    expect(h.safety.approvals.list(bob).map((a) => [a.tool, a.code])).toEqual([["echo.high", undefined]]);
    expect(h.safety.approvals.list(gus)).toEqual([]);
  });

  it("need the CRITICAL code to approve at the PC, and run with it; a device's code is refused", async () => {
    const h = harness();
    const call = h.call(alice, "echo.critical", { text: "c" });
    const approval = await call.pending;
    const code = h.safety.approvals.list(local)[0]!.code!;
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve" }, local)).toThrow(/give its 6-digit code/);
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve", code }, alice)).toThrow(/code is accepted only at the PC/);
    expect(h.safety.approvals.decide(approval.id, { verdict: "approve", code }, local)).toBe("approved");
    await expect(call.result).resolves.toEqual({ echoed: "c" });
  });

  it("take a device's passkey proof only for this approval, its arguments and this device", async () => {
    const h = harness();
    const approval = await h.call(alice, "echo.critical", { text: "c" }).pending;
    const proof = { credentialId: "cred-1", device: alice.device, purpose: "approve" as const, approval: approval.id, argsHash: approval.argsHash };
    for (const wrong of [{ approval: "zzzzzzzz" }, { argsHash: "0".repeat(64) }, { device: "dev-other" }]) {
      expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve", passkey: { ...proof, ...wrong } }, alice)).toThrow(/not made for approval/);
    }
    expect(h.safety.approvals.get(approval.id)?.status).toBe("pending");
    expect(h.safety.approvals.decide(approval.id, { verdict: "approve", passkey: proof }, alice)).toBe("approved");
  });

  it("never take a CRITICAL approval from a chat app, even the owner's with the right code; a deny counts", async () => {
    const h = harness();
    const discordOwner = { device: "discord:740000000000000001", role: "owner" as const, user: "owner", via: "discord" as const };
    const call = h.call(alice, "echo.critical", { text: "c" });
    const approval = await call.pending;
    const code = h.safety.approvals.list(local)[0]!.code!;
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve", code }, discordOwner)).toThrow(/never approved from a chat app/);
    expect(h.safety.approvals.get(approval.id)?.status).toBe("pending");
    expect(h.safety.approvals.decide(approval.id, { verdict: "deny" }, discordOwner)).toBe("denied");
    await expect(call.result).rejects.toMatchObject({ code: "denied" });
    expect(h.ran).toHaveLength(0);
  });

  it("deny a CRITICAL approval after three wrong codes and lock the PC's code out for a while; a passkey still works", async () => {
    const h = harness({ policy: { codeLockoutMs: 60_000 } });
    const call = h.call(bob, "echo.critical", { text: "c" });
    const approval = await call.pending;
    const code = h.safety.approvals.list(local)[0]!.code!;
    const wrong = code === "000000" ? "111111" : "000000";
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve", code: wrong }, local)).toThrow(/2 attempt\(s\) left/);
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve", code: wrong }, local)).toThrow(/1 attempt\(s\) left/);
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve", code: wrong }, local)).toThrow(/denied and CRITICAL approvals are locked/);
    await expect(call.result).rejects.toMatchObject({ code: "denied" });
    const next = h.call(bob, "echo.critical", { text: "d" });
    const second = await next.pending;
    const code2 = h.safety.approvals.list(local)[0]!.code!;
    expect(() => h.safety.approvals.decide(second.id, { verdict: "approve", code: code2 }, local)).toThrow(/locked for you for 60 s/);
    const passkey = { credentialId: "cred-1", device: alice.device, purpose: "approve" as const, approval: second.id, argsHash: second.argsHash };
    expect(h.safety.approvals.decide(second.id, { verdict: "approve", passkey }, alice)).toBe("approved");
    await next.result;
    h.clock.advance(60_000);
    const third = await h.call(bob, "echo.critical", { text: "e" }).pending;
    expect(h.safety.approvals.decide(third.id, { verdict: "approve", code: h.safety.approvals.list(local)[0]!.code! }, local)).toBe("approved");
  });

  it("count wrong codes per decider across approvals, so spreading guesses does not help", async () => {
    const h = harness();
    const ids: string[] = [];
    for (const text of ["a", "b", "c"]) ids.push((await h.call(bob, "echo.critical", { text }).pending).id);
    const codes = new Map(h.safety.approvals.list(local).map((a) => [a.id, a.code!]));
    const wrongFor = (id: string) => (codes.get(id) === "000000" ? "111111" : "000000");
    expect(() => h.safety.approvals.decide(ids[0]!, { verdict: "approve", code: wrongFor(ids[0]!) }, local)).toThrow(/wrong code/);
    expect(() => h.safety.approvals.decide(ids[1]!, { verdict: "approve", code: wrongFor(ids[1]!) }, local)).toThrow(/wrong code/);
    expect(() => h.safety.approvals.decide(ids[2]!, { verdict: "approve", code: wrongFor(ids[2]!) }, local)).toThrow(/locked/);
    expect(() => h.safety.approvals.decide(ids[0]!, { verdict: "approve", code: codes.get(ids[0]!)! }, local)).toThrow(/locked/);
  });

  it("limit how many approvals one requester may have waiting", async () => {
    const h = harness({ policy: { maxPendingPerRequester: 2 } });
    await h.call(alice, "echo.high", { text: "1" }).pending;
    await h.call(alice, "echo.high", { text: "2" }).pending;
    await expect(h.call(alice, "echo.high", { text: "3" }).result).rejects.toMatchObject({
      code: "rate_limited",
      message: expect.stringContaining("too many approvals waiting"),
    });
    await expect(h.call(bob, "echo.high", { text: "3" }).pending).resolves.toMatchObject({ status: "pending" });
  });

  it("survive a restart: the task still waits, and the approval given afterwards runs it once with its own arguments", async () => {
    const stateDir = harness().stateDir;
    const clock = newClock();
    const before = harness({ stateDir, clock });
    const call = before.call(bob, "echo.critical", { text: "after restart" });
    const approval = await call.pending;
    before.safety.close();

    const ran: Ran[] = [];
    const after = createSafety({ stateDir, profile: "private", tools: standardTools(ran), now: clock.now });
    after.tasks.recover();
    const listed = after.approvals.list(local);
    expect(listed).toMatchObject([{ id: approval.id, status: "pending", tool: "echo.critical", args: { text: "after restart" } }]);
    expect(listed[0]!.code).toMatch(/^\d{6}$/);
    const [task] = after.tasks.list(local, { open: true });
    expect(task).toMatchObject({ state: "waiting_approval", approval: approval.id, requester: { device: "dev-bob" } });
    after.approvals.decide(approval.id, { verdict: "approve", code: listed[0]!.code! }, local);
    await expect(after.tasks.settled(task!.id)).resolves.toMatchObject({ state: "done", result: { echoed: "after restart" } });
    expect(ran.map((r) => r.args)).toEqual([{ text: "after restart" }]);
    expect(after.approvals.get(approval.id)?.status).toBe("used");
    after.close();
  });

  it("tell listeners about every step, without the CRITICAL code", async () => {
    const h = harness();
    const events: ApprovalEvent[] = [];
    const stop = h.safety.approvals.onChange((event) => events.push(event));
    const call = h.call(alice, "echo.critical", { text: "c" });
    const approval = await call.pending;
    const code = h.safety.approvals.list(local)[0]!.code!;
    h.safety.approvals.decide(approval.id, { verdict: "approve", code }, local);
    await call.result;
    const expiring = await h.call(alice, "echo.high", { text: "h" }).pending;
    h.clock.advance(3_600_000);
    h.safety.approvals.sweep();
    stop();
    expect(events.map((e) => [e.type, e.approval.status])).toEqual([
      ["created", "pending"],
      ["decided", "approved"],
      ["invalidated", "used"],
      ["created", "pending"],
      ["expired", "expired"],
    ]);
    expect(events[0]!.approval).toMatchObject({
      id: approval.id,
      tool: "echo.critical",
      risk: "CRITICAL",
      args: { text: "c" },
      requester: { user: "alice" },
      origin: "test",
      needsCode: true,
    });
    expect(JSON.stringify(events)).not.toContain(code);
    expect(events[4]!.approval.id).toBe(expiring.id);
  });

  it("store only a hash of the CRITICAL code", async () => {
    const h = harness();
    const approval = await h.call(alice, "echo.critical", { text: "c" }).pending;
    const code = h.safety.approvals.list(local)[0]!.code!;
    const row = h.safety.db.prepare("SELECT * FROM approvals WHERE id = ?").get(approval.id);
    expect(JSON.stringify(row)).not.toContain(code);
  });

  it("end when the waiting caller's task is cancelled: the approval is withdrawn and cannot be given any more", async () => {
    const h = harness();
    const call = h.call(bob, "echo.high", { text: "h" });
    const approval = await call.pending;
    const [task] = h.safety.tasks.list(bob, { open: true });
    expect(h.safety.tasks.list(carol)).toEqual([]);
    expect(() => h.safety.tasks.cancel(task!.id, carol)).toThrow(/no task/);
    expect(h.safety.tasks.cancel(task!.id, bob)).toMatchObject({ state: "cancelled", error: { code: "cancelled" } });
    await expect(call.result).rejects.toMatchObject({ code: "cancelled" });
    expect(h.safety.approvals.get(approval.id)?.status).toBe("denied");
    expect(() => h.safety.approvals.decide(approval.id, { verdict: "approve" }, local)).toThrow(/already denied/);
    expect(() => h.safety.tasks.cancel(task!.id, local)).toThrow(/already cancelled/);
    expect(h.ran).toHaveLength(0);
  });
});
