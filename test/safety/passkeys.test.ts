/**
 * Passkeys on the agent side, with a software authenticator (test/helpers/soft-authenticator.ts): a
 * device approves CRITICAL only with a fresh assertion bound to that approval, made with user
 * verification by a passkey it registered itself; the one-time code is for the PC only.
 */
import type { AnswerPayload, MethodName, ParamsInput, Requester, Result } from "@ora/protocol";
import { describe, expect, it } from "vitest";
import { HandlerRegistry } from "../../node-agent/src/handlers.js";
import { registerApprovalMethods } from "../../node-agent/src/methods/approvals.js";
import { registerPasskeyMethods } from "../../node-agent/src/methods/passkeys.js";
import { challengeFor, PASSKEY_MIGRATIONS, passkeysFor, relyingPartyOf, type Binding } from "../../node-agent/src/passkeys/index.js";
import { migrate } from "../../node-agent/src/safety/index.js";
import { policyConfig } from "../../node-agent/src/safety/policy-config.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { alice, bob, carol, harness, local, type HarnessOptions } from "./fixtures.js";

const RELAY = "http://127.0.0.1:8787";
const RP = { origin: "http://localhost:8787", rpID: "localhost" };
/** A second owner device: same person, its own device and session. */
const alicesLaptop: Requester = { device: "dev-alice-laptop", role: "owner", user: "alice", via: "relay", session: "s-laptop" };

function setup(options: HarnessOptions = {}) {
  const h = harness(options);
  migrate(h.safety.db, [PASSKEY_MIGRATIONS]);
  const passkeys = passkeysFor(h.safety, RELAY, "node-1", h.clock.now);
  const registry = new HandlerRegistry();
  registerApprovalMethods(registry, h.safety, passkeys);
  registerPasskeyMethods(registry, passkeys);
  const ask = async <M extends MethodName>(who: Requester, method: M, params: ParamsInput<M>): Promise<AnswerPayload> =>
    registry.dispatch(method, params, { requester: who, name: who.device }, { signal: new AbortController().signal, emit: () => undefined });
  const ok = async <M extends MethodName>(who: Requester, method: M, params: ParamsInput<M>): Promise<Result<M>> => {
    const answer = await ask(who, method, params);
    if (!answer.ok) throw new Error(`${method}: ${answer.error.code} ${answer.error.message}`);
    return answer.result as Result<M>;
  };
  /** Registers a new soft authenticator's passkey for `who`. */
  const enroll = async (who: Requester, authenticator = new SoftAuthenticator(RP)) => {
    const { options: creation } = await ok(who, "passkeys.create", {});
    await ok(who, "passkeys.register", { response: authenticator.create(creation) });
    return authenticator;
  };
  const challenge = async (who: Requester, approval: string) => (await ok(who, "passkeys.challenge", { purpose: "approve", approval })).options;
  return { ...h, passkeys, ask, ok, enroll, challenge };
}

describe("passkeys for approvals", () => {
  it("let an owner device approve CRITICAL with a fresh user-verified assertion, and the audit names the passkey", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    expect(await t.ok(alice, "passkeys.list", {})).toMatchObject({ passkeys: [{ id: key.id, transports: ["internal"], lastUsedAt: null }] });
    const call = t.call(alice, "echo.critical", { text: "go" });
    const approval = await call.pending;
    const options = await t.challenge(alice, approval.id);
    expect(options).toMatchObject({
      rpId: "localhost",
      userVerification: "required",
      timeout: 120_000,
      allowCredentials: [{ id: key.id, type: "public-key" }],
    });
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion: key.get(options) })).toEqual({
      ok: true,
      result: { id: approval.id, status: "approved" },
    });
    await expect(call.result).resolves.toEqual({ echoed: "go" });
    const decided = t.safety.audit.tail(20).find((row) => row.event === "approval.approve" && row.status === "approved");
    expect(decided?.detail).toBe(`${approval.id} with passkey ${key.id}`);
    expect(decided?.device).toBe(alice.device);
    expect((await t.ok(alice, "passkeys.list", {})).passkeys[0]!.lastUsedAt).toBe(t.clock.now());
  });

  it("refuse a device's CRITICAL approve without an assertion, or with the code, and leave it pending", async () => {
    const t = setup();
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    expect(t.safety.approvals.list(alice)[0]).toMatchObject({ id: approval.id, needsCode: true, needsPasskey: true });
    expect(t.safety.approvals.list(alice)[0]!.code).toBeUndefined();
    const code = t.safety.approvals.list(local)[0]!.code!;
    expect(code).toMatch(/^\d{6}$/);
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve" })).toMatchObject({
      ok: false,
      error: { code: "passkey_required", message: expect.stringContaining(`ora-agent approve ${approval.id} --code`) },
    });
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", code })).toMatchObject({
      ok: false,
      error: { code: "passkey_required", message: expect.stringMatching(/code is accepted only at the PC/) },
    });
    expect(t.safety.approvals.get(approval.id)?.status).toBe("pending");
    // Denying needs nothing: saying no is always safe.
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "deny" })).toMatchObject({ ok: true, result: { status: "denied" } });
  });

  it("say plainly that a device without a passkey cannot get a challenge", async () => {
    const t = setup();
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    expect(await t.ask(alice, "passkeys.challenge", { purpose: "approve", approval: approval.id })).toMatchObject({
      ok: false,
      error: { code: "passkey_required", message: expect.stringMatching(/no passkey/) },
    });
  });

  it("refuse an assertion without user verification", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    const assertion = key.get(await t.challenge(alice, approval.id), { uv: false });
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/user.*verif/i) },
    });
    expect(t.safety.approvals.get(approval.id)?.status).toBe("pending");
  });

  it("refuse a registration without user verification", async () => {
    const t = setup();
    const { options } = await t.ok(alice, "passkeys.create", {});
    expect(options.authenticatorSelection).toMatchObject({ userVerification: "required", residentKey: "preferred" });
    expect(options.rp.id).toBe("localhost");
    const answer = await t.ask(alice, "passkeys.register", { response: new SoftAuthenticator(RP).create(options, { uv: false }) });
    expect(answer).toMatchObject({ ok: false, error: { code: "passkey_refused" } });
    expect(t.passkeys.list(alice)).toEqual([]);
  });

  it("use a challenge once: a replayed assertion is refused, and so is a rewound counter", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    const assertion = key.get(await t.challenge(alice, approval.id));
    await expect(t.passkeys.verify(alice, { purpose: "approve", approval: approval.id }, assertion)).resolves.toMatchObject({ credentialId: key.id });
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/already used/) },
    });
    key.counter -= 1; // a cloned authenticator that lags behind the real one
    const cloned = key.get(await t.challenge(alice, approval.id));
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion: cloned })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/counter/i) },
    });
    expect(t.safety.approvals.get(approval.id)?.status).toBe("pending");
  });

  it("refuse an assertion made for another approval (other arguments)", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    const harmless = await t.call(alice, "echo.critical", { text: "harmless" }).pending;
    const harmful = await t.call(alice, "echo.critical", { text: "harmful" }).pending;
    const forHarmless = key.get(await t.challenge(alice, harmless.id));
    expect(await t.ask(alice, "approvals.decide", { id: harmful.id, verdict: "approve", assertion: forHarmless })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/made for something else/) },
    });
    expect(t.safety.approvals.get(harmful.id)?.status).toBe("pending");
  });

  it("refuse a passkey presented by another device, and do not let that device burn the owner's challenge", async () => {
    const t = setup();
    const phoneKey = await t.enroll(alice);
    await t.enroll(alicesLaptop);
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    // The laptop's own session, its own challenge, signed with the phone's passkey.
    const laptopChallenge = await t.challenge(alicesLaptop, approval.id);
    expect(await t.ask(alicesLaptop, "approvals.decide", { id: approval.id, verdict: "approve", assertion: phoneKey.get(laptopChallenge) })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/belongs to another device/) },
    });
    // The phone's assertion relayed through the laptop's session.
    const phoneAssertion = phoneKey.get(await t.challenge(alice, approval.id));
    expect(await t.ask(alicesLaptop, "approvals.decide", { id: approval.id, verdict: "approve", assertion: phoneAssertion })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/challenge for this device/) },
    });
    expect(t.safety.approvals.get(approval.id)?.status).toBe("pending");
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion: phoneAssertion })).toMatchObject({ ok: true });
  });

  it("refuse an assertion made on another origin", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    const assertion = key.get(await t.challenge(alice, approval.id), { origin: "http://127.0.0.1:8787" });
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/origin/i) },
    });
  });

  it("keep a challenge no longer than the approval it binds, nor than two minutes", async () => {
    const t = setup({ policy: { criticalApprovalTtlMs: 60_000 } });
    const key = await t.enroll(alice);
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    const options = await t.challenge(alice, approval.id);
    expect(options.timeout).toBe(60_000);
    t.clock.advance(59_000);
    const late = key.get(await t.challenge(alice, approval.id));
    t.clock.advance(1_000);
    expect(await t.ask(alice, "approvals.decide", { id: approval.id, verdict: "approve", assertion: late })).toMatchObject({
      ok: false,
      error: { code: "passkey_refused", message: expect.stringMatching(/challenge has expired/) },
    });
    t.safety.approvals.sweep();
    expect(t.safety.approvals.get(approval.id)?.status).toBe("expired");
  });

  it("bind the challenge to purpose, device, Node, approval, args hash and expiry", () => {
    const base: Binding = { purpose: "approve", device: "d1", node: "n1", subject: "a1", argsHash: "h1", until: 1000 };
    const nonce = Buffer.alloc(32, 7).toString("base64url");
    const challenge = challengeFor(nonce, base);
    expect(challengeFor(nonce, { ...base })).toBe(challenge);
    const variants: Partial<Binding>[] = [{ purpose: "unlock" }, { device: "d2" }, { node: "n2" }, { subject: "a2" }, { argsHash: "h2" }, { until: 1001 }];
    for (const change of variants) expect(challengeFor(nonce, { ...base, ...change })).not.toBe(challenge);
    expect(challengeFor(Buffer.alloc(32, 8).toString("base64url"), base)).not.toBe(challenge);
  });

  it("confirm an unlock with the same check, and never take an approval's assertion for it", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    const unlock = await t.ok(alice, "passkeys.challenge", { purpose: "unlock" });
    await expect(t.passkeys.verify(alice, { purpose: "unlock" }, key.get(unlock.options))).resolves.toEqual({
      purpose: "unlock",
      credentialId: key.id,
      device: alice.device,
    });
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    const forApproval = key.get(await t.challenge(alice, approval.id));
    await expect(t.passkeys.verify(alice, { purpose: "unlock" }, forApproval)).rejects.toMatchObject({ code: "passkey_refused" });
  });

  it("end a lockdown only with an owner device's own, fresh unlock assertion (the lockdown's exit check)", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    const proof = key.get((await t.ok(alice, "passkeys.challenge", { purpose: "unlock" })).options);
    await expect(t.passkeys.confirmsUnlock(alice, proof)).resolves.toBe(true);
    // The same assertion again (a replay), or anything that is not an assertion: no.
    await expect(t.passkeys.confirmsUnlock(alice, proof)).resolves.toBe(false);
    await expect(t.passkeys.confirmsUnlock(alice, { id: "x" })).resolves.toBe(false);
    await expect(t.passkeys.confirmsUnlock(alice, undefined)).resolves.toBe(false);
    // An assertion made for an approval does not unlock.
    const approval = await t.call(alice, "echo.critical", { text: "x" }).pending;
    await expect(t.passkeys.confirmsUnlock(alice, key.get(await t.challenge(alice, approval.id)))).resolves.toBe(false);
    // Another owner device presenting this device's assertion, or a sub-admin's own: no.
    const again = key.get((await t.ok(alice, "passkeys.challenge", { purpose: "unlock" })).options);
    await expect(t.passkeys.confirmsUnlock(alicesLaptop, again)).resolves.toBe(false);
    const subAdminKey = await t.enroll(bob);
    const subAdminProof = subAdminKey.get((await t.ok(bob, "passkeys.challenge", { purpose: "unlock" })).options);
    await expect(t.passkeys.confirmsUnlock(bob, subAdminProof)).resolves.toBe(false);
  });

  it("let a device list and remove only its own passkeys", async () => {
    const t = setup();
    const key = await t.enroll(alice);
    expect(await t.ok(alicesLaptop, "passkeys.list", {})).toEqual({ passkeys: [] });
    expect(await t.ok(alicesLaptop, "passkeys.remove", { id: key.id })).toEqual({ removed: false });
    expect(await t.ok(alice, "passkeys.remove", { id: key.id })).toEqual({ removed: true });
    expect(t.passkeys.list(alice)).toEqual([]);
  });

  it("with ORA_PASSKEY_FOR_HIGH=1, need a passkey for HIGH from devices, not at the PC", async () => {
    expect(policyConfig("private", { ORA_PASSKEY_FOR_HIGH: "1" }).passkeyForHigh).toBe(true);
    expect(policyConfig("private", {}).passkeyForHigh).toBe(false);
    const t = setup({ env: { ORA_PASSKEY_FOR_HIGH: "1" } });
    const first = await t.call(bob, "echo.high", { text: "a" }).pending;
    expect(t.safety.approvals.list(carol)[0]).toMatchObject({ id: first.id, needsPasskey: true });
    expect(await t.ask(carol, "approvals.decide", { id: first.id, verdict: "approve" })).toMatchObject({ ok: false, error: { code: "passkey_required" } });
    const carolsKey = await t.enroll(carol);
    const assertion = carolsKey.get(await t.challenge(carol, first.id));
    expect(await t.ask(carol, "approvals.decide", { id: first.id, verdict: "approve", assertion })).toMatchObject({ ok: true, result: { status: "approved" } });
    const second = await t.call(bob, "echo.high", { text: "b" }).pending;
    expect(t.safety.approvals.decide(second.id, { verdict: "approve" }, local)).toBe("approved");
    // Without the setting HIGH stays a plain decision.
    const plain = setup();
    const third = await plain.call(bob, "echo.high", { text: "c" }).pending;
    expect(plain.safety.approvals.list(carol)[0]!.needsPasskey).toBeUndefined();
    expect(plain.safety.approvals.decide(third.id, { verdict: "approve" }, carol)).toBe("approved");
  });

  it("use localhost as the RP ID of a loopback relay, the relay's host otherwise", () => {
    expect(relyingPartyOf("http://127.0.0.1:8787")).toMatchObject({ rpID: "localhost", origin: "http://localhost:8787" });
    expect(relyingPartyOf("https://relay.example.com")).toMatchObject({ rpID: "relay.example.com", origin: "https://relay.example.com" });
  });
});
