/**
 * Device credentials over their life: idle and absolute expiry, rotation with its grace period, the
 * owner's rotation request, renaming. Defaults: idle 90 days, lifetime 365 days, rotation due at 30
 * days, 10 rotations per device per hour. Times are moved into the past in SQLite, never waited for.
 */
import { CloseCode } from "@ora/protocol";
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { client, mintDevice, nodeSql, registerNode, upgradeRequest, type Device, type Node } from "./relay.js";

const DAY_MS = 86_400_000;

function nodeCall(node: Node, method: string, path: string, body?: unknown): Promise<Response> {
  return SELF.fetch(`http://relay${path}`, {
    method,
    headers: { Authorization: `Bearer ${node.credential}`, "Content-Type": "application/json" },
    body: body === undefined ? null : JSON.stringify(body),
  });
}

async function connects(credential: string): Promise<boolean> {
  const res = await upgradeRequest("/v1/client/connect", credential);
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, "probe");
  } else await res.body?.cancel();
  return res.status === 101;
}

/** Rotates over a live session; resolves with the new credential. */
async function rotate(device: Device): Promise<string> {
  const session = await client("rotator", device);
  session.send('{"t":"rotate"}');
  const rotated = await session.nextOf("rotated");
  await session.closeAndWait();
  return rotated.header.credential;
}

describe("expiry", () => {
  it("refuses a device credential unused for longer than the idle limit, and accepts one used recently", async () => {
    const node = await registerNode();
    const recent = await mintDevice(node, "recent-phone");
    const idle = await mintDevice(node, "idle-phone");
    await nodeSql(node, "UPDATE devices SET last_seen = ? WHERE id = ?", Date.now() - 89 * DAY_MS, recent.id);
    await nodeSql(node, "UPDATE devices SET last_seen = ? WHERE id = ?", Date.now() - 91 * DAY_MS, idle.id);
    expect(await connects(recent.credential)).toBe(true);
    expect(await connects(idle.credential)).toBe(false);
  });

  it("counts a device never used as idle from when its credential was issued", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "never-used");
    await nodeSql(node, "UPDATE devices SET issued_at = ?, created_at = ? WHERE id = ?", Date.now() - 91 * DAY_MS, Date.now() - 91 * DAY_MS, device.id);
    expect(await connects(device.credential)).toBe(false);
  });

  it("gives every device an absolute expiry of at most 365 days and refuses it once past", async () => {
    const node = await registerNode();
    const tooLong = await nodeCall(node, "POST", "/v1/node/devices", { name: "forever", role: "owner", expiresInSec: 366 * 86_400 });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ code: "bad_request" });

    const before = Date.now();
    const res = await nodeCall(node, "POST", "/v1/node/devices", { name: "default", role: "guest" });
    const minted = await res.json<{ id: string; credential: string; expiresAt: number }>();
    expect(minted.expiresAt).toBeGreaterThanOrEqual(before + 365 * DAY_MS);
    expect(minted.expiresAt).toBeLessThanOrEqual(Date.now() + 365 * DAY_MS);
    expect(await connects(minted.credential)).toBe(true);
    await nodeSql(node, "UPDATE devices SET expires_at = ? WHERE id = ?", Date.now() - 1, minted.id);
    expect(await connects(minted.credential)).toBe(false);
  });
});

describe("rotation", () => {
  it("answers rotate with a fresh credential for the same device, to that session only", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const alice = await client("alice", device);
    const other = await client("alice-tablet", device);
    alice.send('{"t":"rotate"}');
    const rotated = await alice.nextOf("rotated");
    expect(rotated.header.credential).toMatch(/^ora_dev_[A-Za-z0-9_-]{75}$/);
    expect(rotated.header.credential).not.toBe(device.credential);
    expect(await other.drain()).toEqual([]);
    const fresh = await client("alice-again", { ...device, credential: rotated.header.credential });
    expect(fresh.welcome.header.device).toBe(device.id);
  });

  it("keeps the old credential working during the grace period until the new one is first used", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const fresh = await rotate(device);
    expect(await connects(device.credential)).toBe(true); // within the grace, new one unused
    expect(await connects(fresh)).toBe(true);
    expect(await connects(device.credential)).toBe(false);
    expect(await connects(fresh)).toBe(true);
  });

  it("refuses the old credential once the grace period has passed, even if the new one was never used", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const fresh = await rotate(device);
    await nodeSql(node, "UPDATE devices SET prev_until = ? WHERE id = ?", Date.now() - 1, device.id);
    expect(await connects(device.credential)).toBe(false);
    expect(await connects(fresh)).toBe(true);
  });

  it("limits rotations to 10 per device per hour", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const alice = await client("alice", device);
    for (let i = 0; i < 10; i++) {
      alice.send('{"t":"rotate"}');
      await alice.nextOf("rotated");
    }
    alice.send('{"t":"rotate"}');
    expect((await alice.nextOf("err")).header).toMatchObject({ code: "rate_limited" });
  });

  it("refuses rotate before hello", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const res = await upgradeRequest("/v1/client/connect", device.credential);
    const ws = res.webSocket!;
    ws.accept();
    const frame = new Promise<string>((resolve) => ws.addEventListener("message", (e) => resolve(String(e.data))));
    ws.send('{"t":"rotate"}');
    expect(JSON.parse(await frame)).toMatchObject({ t: "err", code: "hello_required" });
  });

  it("asks for rotation in the welcome once the credential is older than 30 days, and not after rotating", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const young = await client("young", device);
    expect(young.welcome.header).not.toHaveProperty("rotate");
    await nodeSql(node, "UPDATE devices SET issued_at = ? WHERE id = ?", Date.now() - 31 * DAY_MS, device.id);
    const old = await client("old", device);
    expect(old.welcome.header.rotate).toBe(true);
    old.send('{"t":"rotate"}');
    const { credential } = (await old.nextOf("rotated")).header;
    expect((await client("rotated", { ...device, credential })).welcome.header).not.toHaveProperty("rotate");
  });

  it("flags a rotation for the owner, closes the device's sessions so it reconnects, and asks it to rotate", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const alice = await client("alice", device);
    const res = await nodeCall(node, "POST", `/v1/node/devices/${device.id}/rotate`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ closedSessions: 1 });
    expect((await alice.closed).code).toBe(CloseCode.GOING_AWAY);
    const back = await client("alice-back", device);
    expect(back.welcome.header.rotate).toBe(true);
    back.send('{"t":"rotate"}');
    const { credential } = (await back.nextOf("rotated")).header;
    expect((await client("alice-rotated", { ...device, credential })).welcome.header).not.toHaveProperty("rotate");
    expect((await nodeCall(node, "POST", "/v1/node/devices/no-such-device/rotate")).status).toBe(404);
  });
});

describe("renaming", () => {
  it("renames a device for its Node and refuses bad names, unknown devices and other credentials", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const res = await nodeCall(node, "PATCH", `/v1/node/devices/${device.id}`, { name: "Alice's phone" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: device.id, name: "Alice's phone" });
    const list = await (await nodeCall(node, "GET", "/v1/node/devices")).json<{ devices: { id: string; name: string }[] }>();
    expect(list.devices.find((d) => d.id === device.id)?.name).toBe("Alice's phone");

    expect((await nodeCall(node, "PATCH", `/v1/node/devices/${device.id}`, { name: "" })).status).toBe(400);
    expect((await nodeCall(node, "PATCH", "/v1/node/devices/nope", { name: "x" })).status).toBe(404);
    const stranger = await registerNode();
    expect((await nodeCall(stranger, "PATCH", `/v1/node/devices/${device.id}`, { name: "stolen" })).status).toBe(404);
    expect((await nodeCall({ ...node, credential: device.credential }, "PATCH", `/v1/node/devices/${device.id}`, { name: "self" })).status).toBe(401);
  });
});
