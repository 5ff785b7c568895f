/**
 * The paired-device list is cached (node-agent/src/secure/paired-devices.ts), yet a device revoked
 * by another process (`ora-agent revoke` writes devices.json while the agent runs) stops counting at
 * the agent's very next request, with no event loop turn in between for a watcher to catch up.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadOrCreateIdentity, PairedDevices, SecureSessions } from "ora-agent";
import { describe, expect, it } from "vitest";
import { newStateDir } from "../helpers/agent.js";
import { DeviceCrypto } from "../helpers/device.js";

const dist = pathToFileURL(join(import.meta.dirname, "../../node-agent/dist/secure/paired-devices.js")).href;

/** Runs `code` with the built PairedDevices of `stateDir` as `paired`, in a process of its own, to its end. */
function elsewhere(stateDir: string, code: string): void {
  const script = `const { PairedDevices } = await import(${JSON.stringify(dist)}); const paired = new PairedDevices(${JSON.stringify(stateDir)}); ${code}`;
  execFileSync(process.execPath, ["--input-type=module", "-e", script]);
}

async function securedSession(sessions: SecureSessions, device: DeviceCrypto, sid: string): Promise<void> {
  const incoming = await sessions.receive(sid, device.id, await device.hello());
  expect(incoming.kind).toBe("handshake");
  await device.finish(JSON.stringify(incoming.kind === "handshake" ? incoming.answer : null));
  expect(await sessions.receive(sid, device.id, device.seal("ping").payload)).toMatchObject({ kind: "request", device: { id: device.id } });
}

describe("the paired-device cache", () => {
  it("refuses the very next request of a device revoked by another process", async () => {
    const stateDir = newStateDir();
    const sessions = new SecureSessions(loadOrCreateIdentity(stateDir), new PairedDevices(stateDir));
    const phone = new DeviceCrypto(stateDir, "phone", "owner", 2);
    const tablet = new DeviceCrypto(stateDir, "tablet", "owner", 2);
    await securedSession(sessions, phone, "s1");
    await securedSession(sessions, tablet, "s2");
    // Many lookups from the cache, then a revoke from another process, then the next request at once.
    for (let i = 0; i < 50; i++) expect(await sessions.receive("s1", "phone", phone.seal("ping").payload)).toMatchObject({ kind: "request" });
    const sealed = phone.seal("ping").payload;
    elsewhere(stateDir, `paired.remove("phone");`);
    expect(await sessions.receive("s1", "phone", sealed)).toMatchObject({ kind: "refused", why: "device removed" });
    // The other device still counts; and the revoked one cannot secure a new session.
    expect(await sessions.receive("s2", "tablet", tablet.seal("ping").payload)).toMatchObject({ kind: "request" });
    expect(await sessions.receive("s3", "phone", await phone.hello())).toMatchObject({ kind: "refused", why: "unknown device" });
  });

  it("sees a rename and a removal made by another process, and a device added there", () => {
    const stateDir = newStateDir();
    const paired = new PairedDevices(stateDir);
    const key = "A".repeat(43);
    paired.add({ id: "d1", name: "phone", role: "owner", publicKey: key, pairedAt: "2026-01-01T00:00:00Z" });
    expect(paired.get("d1")).toMatchObject({ name: "phone", key: expect.any(Uint8Array) });
    // Same size, same second: only the content differs.
    elsewhere(stateDir, `paired.rename("d1", "PHONE");`);
    expect(paired.get("d1")?.name).toBe("PHONE");
    elsewhere(stateDir, `paired.add({ id: "d2", name: "tablet", role: "guest", publicKey: "${key}", pairedAt: "2026-01-01T00:00:00Z" });`);
    expect(paired.list().map((d) => d.id)).toEqual(["d1", "d2"]);
    elsewhere(stateDir, `paired.remove("d1"); paired.remove("d2");`);
    expect(paired.get("d1")).toBeUndefined();
    expect(paired.list()).toEqual([]);
  });

  it("shares one copy between the instances of one process: a write by one is seen by the others", () => {
    const stateDir = newStateDir();
    const reader = new PairedDevices(stateDir);
    const writer = new PairedDevices(stateDir);
    expect(reader.get("d1")).toBeUndefined();
    writer.add({ id: "d1", name: "phone", role: "owner", publicKey: "A".repeat(43), pairedAt: "2026-01-01T00:00:00Z" });
    expect(reader.get("d1")?.name).toBe("phone");
    expect(writer.remove("d1")).toBe(true);
    expect(reader.get("d1")).toBeUndefined();
  });
});
