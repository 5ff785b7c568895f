/**
 * The relay's audit trail: which events it records, that it holds metadata only, that it keeps a
 * bounded number of rows, and who may read it.
 */
import { runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { adminFetch, agent, client, mintDevice, nodeSql, registerNode, type Node } from "./relay.js";

interface Entry {
  seq: number;
  at: number;
  kind: string;
  device: string | null;
  detail: string | null;
}

function nodeAudit(node: Node, query = "", credential = node.credential): Promise<Response> {
  return SELF.fetch(`http://relay/v1/node/audit${query}`, { headers: { Authorization: `Bearer ${credential}` } });
}

async function entries(node: Node, query = ""): Promise<{ entries: Entry[]; before: number | null }> {
  const res = await nodeAudit(node, query);
  expect(res.status).toBe(200);
  return res.json();
}

describe("audit trail", () => {
  it("records issue, connects, disconnects, rotation and revocation with device ids and no secrets", async () => {
    const node = await registerNode();
    const agentA = await agent("agent", node);
    const device = await mintDevice(node, "alice-phone", "guest");
    const alice = await client("alice", device);
    alice.send('{"t":"rotate"}');
    const rotated = (await alice.nextOf("rotated")).header.credential as string;
    alice.requestRaw("r1", "payload-canary-7f3a");
    agentA.send(`{"t":"res","rid":${(await agentA.nextOf("req")).header.rid}}\nanswer-canary-91bc`);
    await alice.outcome("r1");
    await alice.closeAndWait(1000);
    await SELF.fetch(`http://relay/v1/node/devices/${device.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${node.credential}` } });
    await agentA.closeAndWait(1000);

    const res = await nodeAudit(node);
    const text = await res.text();
    const { entries: rows } = JSON.parse(text) as { entries: Entry[] };
    const story = rows.reverse().map((e) => [e.kind, e.device]);
    expect(story).toEqual([
      ["agent_connect", null],
      ["credential_issued", device.id],
      ["client_connect", device.id],
      ["credential_rotated", device.id],
      ["client_disconnect", device.id],
      ["credential_revoked", device.id],
      ["agent_disconnect", null],
    ]);
    expect(rows.find((e) => e.kind === "client_connect")?.detail).toMatch(/^role=guest src=[A-Za-z0-9_-]{8}$/);
    expect(rows.find((e) => e.kind === "client_disconnect")?.detail).toBe("code=1000");
    for (const secret of [node.credential, device.credential, rotated, "payload-canary", "answer-canary", "alice-phone"]) expect(text).not.toContain(secret);
  });

  it("keeps only the newest 2,000 rows", async () => {
    const node = await registerNode();
    const seqs = await runInDurableObject(node.stub, (instance) => {
      const audit = (instance as unknown as { audit: { record(kind: string, device: string | null, detail: string): void } }).audit;
      for (let i = 0; i < 2100; i++) audit.record("client_connect", null, `n=${i}`);
      return 0;
    }).then(() => nodeSql(node, "SELECT COUNT(*) AS n, MIN(detail) AS low, MAX(seq) - MIN(seq) AS span FROM audit"));
    expect(seqs).toEqual([{ n: 2000, low: "n=100", span: 1999 }]);
    const newest = await entries(node, "?limit=1");
    expect(newest.entries[0]!.detail).toBe("n=2099");
  });

  it("pages newest first, each page's cursor leading to the next older one", async () => {
    const node = await registerNode();
    for (const name of ["a", "b", "c", "d", "e"]) await mintDevice(node, name);
    const first = await entries(node, "?limit=2");
    expect(first.entries).toHaveLength(2);
    const second = await entries(node, `?limit=2&before=${first.before}`);
    const third = await entries(node, `?limit=2&before=${second.before}`);
    expect(third.before).toBeNull();
    const seqs = [...first.entries, ...second.entries, ...third.entries].map((e) => e.seq);
    expect(seqs).toHaveLength(5);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect((await nodeAudit(node, "?before=nope")).status).toBe(400);
  });
});

describe("who reads the audit trail", () => {
  it("shows the operator any Node's trail with the admin token only", async () => {
    const node = await registerNode();
    await mintDevice(node, "alice-phone");
    const res = await adminFetch(`/v1/admin/nodes/${node.id}/audit?limit=10`);
    expect(res.status).toBe(200);
    expect((await res.json<{ entries: Entry[] }>()).entries.map((e) => e.kind)).toEqual(["credential_issued"]);
    for (const token of [null, "wrong-token", node.credential]) expect((await adminFetch(`/v1/admin/nodes/${node.id}/audit`, token)).status).toBe(401);
    expect((await adminFetch(`/v1/admin/nodes/${"0".repeat(32)}/audit`)).status).toBe(404);
  });

  it("shows a Node its own trail with its credential only", async () => {
    const node = await registerNode();
    const stranger = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    await mintDevice(stranger, "stranger-phone");
    expect((await entries(node)).entries.map((e) => e.device)).toEqual([device.id]);
    expect((await entries(stranger)).entries.map((e) => e.device)).not.toContain(device.id);
    expect((await nodeAudit(node, "", device.credential)).status).toBe(401);
    expect((await SELF.fetch("http://relay/v1/node/audit")).status).toBe(401);
  });
});
