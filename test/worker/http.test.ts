/**
 * The Worker's HTTP surface: who gets through with which credential, and the operator's admin API.
 */
import { CloseCode } from "@ora/protocol";
import { env, listDurableObjectIds, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminFetch, agent, client, metrics, mintDevice, open, registerNode, upgradeRequest, type Node } from "./relay.js";

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function nodeRequest(credential: string | null, method = "GET", body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (credential !== null) headers.Authorization = `Bearer ${credential}`;
  return SELF.fetch("http://relay/v1/node/devices", { method, headers, body: body === undefined ? null : JSON.stringify(body) });
}

async function expectUnauthorized(response: Promise<Response>): Promise<void> {
  const res = await response;
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({ code: "unauthorized", message: expect.any(String) });
}

/** `text` with the character at `index` replaced by another base64url character. */
function alterAt(text: string, index: number): string {
  const swapped = text[index] === "A" ? "B" : "A";
  return text.slice(0, index) + swapped + text.slice(index + 1);
}

describe("credentials", () => {
  it("refuses a missing, garbled or truncated node credential with 401 unauthorized", async () => {
    const node = await registerNode();
    for (const credential of [null, "", "garbage", "ora_node_", `ora_node_${"A".repeat(75)}`, node.credential.slice(0, -4), `${node.credential}AAAA`]) {
      await expectUnauthorized(nodeRequest(credential));
      await expectUnauthorized(nodeRequest(credential, "POST", { name: "x", role: "owner" }));
      if (credential) await expectUnauthorized(upgradeRequest("/v1/node/connect", credential));
    }
    // The genuine credential passes the same routes.
    expect((await nodeRequest(node.credential)).status).toBe(200);
  });

  it("refuses a credential whose tag was altered in one character", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    // The tag is the body's last 8 bytes; the third character from the end lies wholly inside it.
    const forgedNode = alterAt(node.credential, node.credential.length - 3);
    const forgedDevice = alterAt(device.credential, device.credential.length - 3);
    await expectUnauthorized(nodeRequest(forgedNode));
    await expectUnauthorized(upgradeRequest("/v1/node/connect", forgedNode));
    await expectUnauthorized(upgradeRequest("/v1/client/connect", forgedDevice));
    // The unaltered credential still connects.
    await (await open("alice", "/v1/client/connect", device.credential)).closeAndWait();
  });

  it("refuses a made-up credential in the Worker, before any Node object exists for it", async () => {
    const known = await registerNode();
    const nodeId = crypto.getRandomValues(new Uint8Array(16));
    const hex = Array.from(nodeId, (b) => b.toString(16).padStart(2, "0")).join("");
    const body = new Uint8Array(56);
    body.set(nodeId, 0);
    body.set(crypto.getRandomValues(new Uint8Array(40)), 16);
    await expectUnauthorized(nodeRequest(`ora_node_${toBase64Url(body)}`));
    await expectUnauthorized(upgradeRequest("/v1/node/connect", `ora_node_${toBase64Url(body)}`));

    const ids = (await listDurableObjectIds(env.NODE)).map((id) => id.toString());
    expect(ids).toContain(env.NODE.idFromName(known.id).toString());
    expect(ids).not.toContain(env.NODE.idFromName(hex).toString());
  });

  it("refuses a device credential on the Node's endpoints and a Node credential on the client endpoint", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    await expectUnauthorized(nodeRequest(device.credential));
    await expectUnauthorized(nodeRequest(device.credential, "POST", { name: "mallory", role: "owner" }));
    await expectUnauthorized(upgradeRequest("/v1/node/connect", device.credential));
    await expectUnauthorized(upgradeRequest("/v1/client/connect", node.credential));
    // Nor is the device's credential body under the Node's prefix.
    await expectUnauthorized(nodeRequest(device.credential.replace(/^ora_dev_/, "ora_node_")));
  });

  it("closes a revoked device's live sessions with 4003 and refuses its credential afterwards", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const device = await mintDevice(node, "alice-phone");
    const alice = await client("alice", device);
    alice.requestRaw("a1", "{}");
    const { rid } = (await agentA.nextOf("req")).header;

    const res = await SELF.fetch(`http://relay/v1/node/devices/${device.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${node.credential}` } });
    expect(await res.json()).toEqual({ closedSessions: 1 });
    expect((await alice.closed).code).toBe(CloseCode.REVOKED);
    expect((await agentA.nextOf("cancel")).header).toEqual({ t: "cancel", rid, reason: "revoked" });
    await expectUnauthorized(upgradeRequest("/v1/client/connect", device.credential));
    expect((await metrics(node)).pending).toBe(0);
  });
});

describe("admin API", () => {
  it("refuses the admin API without the admin token, with a wrong one or with a Node credential", async () => {
    const node = await registerNode();
    for (const token of [null, "", "workerd-test-admin-token-but-longer", node.credential]) {
      await expectUnauthorized(adminFetch("/v1/admin/nodes", token));
      await expectUnauthorized(adminFetch(`/v1/admin/nodes/${node.id}/metrics`, token));
    }
  });

  it("lists Nodes in registration order a page at a time, each cursor leading to the next page", async () => {
    const first = await registerNode();
    const second = await registerNode();
    const seen: { id: string; createdAt: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await adminFetch(`/v1/admin/nodes?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      const page: { nodes: { id: string; createdAt: number }[]; cursor: string | null } = await res.json();
      expect(page.nodes.length).toBeLessThanOrEqual(1);
      if (page.cursor !== null) expect(page.nodes).toHaveLength(1);
      seen.push(...page.nodes);
      cursor = page.cursor;
      pages++;
    } while (cursor !== null && pages < 1000);

    expect(cursor).toBeNull();
    const ids = seen.map((n) => n.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.indexOf(second.id)).toBeGreaterThan(ids.indexOf(first.id));
    expect(ids.indexOf(first.id)).toBeGreaterThanOrEqual(0);
    const times = seen.map((n) => n.createdAt);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // One page with everything agrees with the walk.
    const all: { nodes: { id: string }[] } = await (await adminFetch("/v1/admin/nodes?limit=500")).json();
    expect(all.nodes.map((n) => n.id)).toEqual(ids);
  });

  it("shows the operator a Node's counters and none of its content", async () => {
    const node: Node = await registerNode();
    const agentA = await agent("agent", node);
    const device = await mintDevice(node, "alice-phone");
    const alice = await client("alice", device);
    alice.requestRaw("secret-request-id", "secret payload text");
    agentA.send(`{"t":"res","rid":${(await agentA.nextOf("req")).header.rid}}\nsecret answer text`);
    await alice.outcome("secret-request-id");

    const res = await adminFetch(`/v1/admin/nodes/${node.id}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ node: node.id, connected: true, sessions: 1, requests: 1, answers: 1 });
    for (const secret of ["secret", device.id, device.credential, node.credential, alice.welcome.header.session]) expect(text).not.toContain(secret);

    expect((await adminFetch(`/v1/admin/nodes/${"0".repeat(32)}/metrics`)).status).toBe(404);
    expect((await adminFetch("/v1/admin/nodes/not-a-node/metrics")).status).toBe(404);
  });
});
