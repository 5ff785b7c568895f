/**
 * The agent's handshake negotiation (node-agent/src/secure/secure-sessions.ts): it secures sessions
 * with version 2 (Noise KK) and, until V1_ACCEPTED_UNTIL, with version 1; from then on it refuses
 * version 1 and tells the device to update; a hello of a version it does not know gets the answer
 * that makes a client fall back one version.
 */
import { NO_SESSION_MESSAGE, V1_ACCEPTED_UNTIL } from "@ora/protocol";
import { loadOrCreateIdentity, PairedDevices, SecureSessions } from "ora-agent";
import { describe, expect, it } from "vitest";
import { newStateDir } from "../helpers/agent.js";
import { DeviceCrypto } from "../helpers/device.js";

function agentAt(now: number) {
  const stateDir = newStateDir();
  const sessions = new SecureSessions(loadOrCreateIdentity(stateDir), new PairedDevices(stateDir), { now: () => now });
  return { stateDir, sessions };
}

/** Handshakes `device` on session `sid`, then sends one sealed request and opens nothing more. */
async function secure(sessions: SecureSessions, device: DeviceCrypto, sid: string) {
  const incoming = await sessions.receive(sid, device.id, await device.hello());
  expect(incoming.kind).toBe("handshake");
  await device.finish(JSON.stringify(incoming.kind === "handshake" ? incoming.answer : null));
  const sealed = device.seal("ping");
  const request = await sessions.receive(sid, device.id, sealed.payload);
  expect(request).toMatchObject({ kind: "request", request: { method: "ping" }, seq: sealed.seq, device: { id: device.id } });
  // And a reply the device opens.
  expect(device.open(sessions.seal(sid, { k: "res", re: sealed.seq, body: { ok: true } }))).toEqual({ k: "res", re: sealed.seq, body: { ok: true } });
}

describe("the agent's handshake versions", () => {
  const before = V1_ACCEPTED_UNTIL - 1;

  it("secures a session with a version 2 hello, and with a version 1 hello within the window", async () => {
    const { stateDir, sessions } = agentAt(before);
    const v2 = new DeviceCrypto(stateDir, "d2", "owner", 2);
    expect(JSON.parse(await v2.hello())).toMatchObject({ e2e: 2 });
    await secure(sessions, v2, "s2");
    await secure(sessions, new DeviceCrypto(stateDir, "d1", "owner", 1), "s1");
  });

  it("refuses a version 1 hello from V1_ACCEPTED_UNTIL on, telling the device to update, and still takes version 2", async () => {
    const { stateDir, sessions } = agentAt(V1_ACCEPTED_UNTIL);
    const old = new DeviceCrypto(stateDir, "d1", "owner", 1);
    const incoming = await sessions.receive("s1", "d1", await old.hello());
    expect(incoming).toMatchObject({ kind: "refused", answer: { ok: false, error: { message: expect.stringMatching(/update the app/) } } });
    expect(sessions.secured()).toEqual([]);
    await secure(sessions, new DeviceCrypto(stateDir, "d2", "owner", 2), "s2");
  });

  it("answers a hello of a version it does not know as agents before version 2 answered a version 2 hello", async () => {
    const { stateDir, sessions } = agentAt(before);
    const device = new DeviceCrypto(stateDir, "d1");
    const future = JSON.stringify({ ...JSON.parse(await device.hello()), e2e: 3 });
    expect(await sessions.receive("s1", "d1", future)).toMatchObject({
      kind: "refused",
      answer: { ok: false, error: { code: "failed", message: NO_SESSION_MESSAGE } },
    });
  });

  it("refuses a version 2 hello it cannot read, and one whose device is another than the relay's", async () => {
    const { stateDir, sessions } = agentAt(before);
    const device = new DeviceCrypto(stateDir, "d1");
    const hello = JSON.parse(await device.hello()) as { m: string };
    const at = 10; // inside the ephemeral key
    const altered = JSON.stringify({ ...hello, m: hello.m.slice(0, at) + (hello.m[at] === "A" ? "B" : "A") + hello.m.slice(at + 1) });
    expect(await sessions.receive("s1", "d1", altered)).toMatchObject({ kind: "refused", why: "bad handshake" });
    expect(await sessions.receive("s1", "someone-else", JSON.stringify(hello))).toMatchObject({ kind: "refused", why: "unknown device" });
    expect(sessions.secured()).toEqual([]);
  });
});
