/**
 * The HTTP API against its one definition, protocol/src/relay-http.ts: every route answers what its
 * response schema says, every refusal is an ErrorBody, and request bodies and queries that do not fit
 * are refused with 400 bad_request (after the credential check, never before it).
 */
import { ErrorBody, RELAY_HTTP, routePath, type HttpRoute } from "@ora/protocol";
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, agent, client, mintDevice, registerNode, type Node } from "./relay.js";

function call(path: string, init: { method?: string; token?: string | null; body?: string; contentType?: string | null } = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  if (init.body !== undefined && init.contentType !== null) headers["Content-Type"] = init.contentType ?? "application/json";
  return SELF.fetch(`http://relay${path}`, { method: init.method ?? "GET", headers, body: init.body ?? null });
}

/** The answer (as sent) of a success of `route`, failing the test with zod's account when it does not fit. */
async function expectAnswer(route: HttpRoute, response: Promise<Response>): Promise<unknown> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(route.status);
  const json: unknown = JSON.parse(text);
  const parsed = route.response.safeParse(json);
  if (!parsed.success) throw new Error(`${route.method} ${route.path} answered ${text}: ${parsed.error.message}`);
  return json;
}

async function expectRefusal(response: Promise<Response>, status: number, code: string): Promise<string> {
  const res = await response;
  expect(res.status).toBe(status);
  const body = ErrorBody.parse(await res.json());
  expect(body.code).toBe(code);
  return body.message;
}

describe("the HTTP API's answers", () => {
  it("answers every route in the shape protocol/src/relay-http.ts defines", async () => {
    await expectAnswer(RELAY_HTTP.health, call("/healthz"));
    const node: Node = await registerNode();
    const nodeCall = (route: HttpRoute, path: string, body?: unknown) =>
      expectAnswer(route, call(path, { method: route.method, token: node.credential, body: body === undefined ? undefined : JSON.stringify(body) }));

    const minted = RELAY_HTTP.mintDevice.response.parse(
      await nodeCall(RELAY_HTTP.mintDevice, routePath(RELAY_HTTP.mintDevice), { name: "alice-phone", role: "guest", expiresInSec: 3600 }),
    );
    expect(minted).toMatchObject({ name: "alice-phone", role: "guest", revokedAt: null });
    const agentA = await agent("agent", node);
    const alice = await client("alice", { id: minted.id, credential: minted.credential, role: "guest" });
    const id = { id: minted.id };

    expect(await nodeCall(RELAY_HTTP.listDevices, routePath(RELAY_HTTP.listDevices))).toMatchObject({ devices: [{ id: minted.id }] });
    expect(await nodeCall(RELAY_HTTP.renameDevice, routePath(RELAY_HTTP.renameDevice, id), { name: "Alice" })).toMatchObject({ name: "Alice" });
    expect(await nodeCall(RELAY_HTTP.rotateDevice, routePath(RELAY_HTTP.rotateDevice, id))).toEqual({ closedSessions: 1 });
    await alice.closed;
    expect(await nodeCall(RELAY_HTTP.revokeDevice, routePath(RELAY_HTTP.revokeDevice, id))).toEqual({ closedSessions: 0 });
    expect(await nodeCall(RELAY_HTTP.nodeAudit, `${routePath(RELAY_HTTP.nodeAudit)}?limit=2`)).toMatchObject({ entries: [{}, {}] });

    const admin = (route: HttpRoute, path: string) => expectAnswer(route, call(path, { token: ADMIN_TOKEN }));
    await admin(RELAY_HTTP.adminNodes, `${routePath(RELAY_HTTP.adminNodes)}?limit=500`);
    const metrics = await admin(RELAY_HTTP.adminMetrics, routePath(RELAY_HTTP.adminMetrics, { id: node.id }));
    expect(metrics).toMatchObject({ node: node.id, connected: true, clientConnects: 1 });
    await admin(RELAY_HTTP.adminAudit, routePath(RELAY_HTTP.adminAudit, { id: node.id }));
    await agentA.closeAndWait();
  });

  it("refuses in the one error shape: unknown routes, unknown nodes, bad cursors", async () => {
    const node = await registerNode();
    await expectRefusal(call("/v1/nope"), 404, "not_found");
    await expectRefusal(call(routePath(RELAY_HTTP.adminMetrics, { id: "0".repeat(32) }), { token: ADMIN_TOKEN }), 404, "not_found");
    const message = await expectRefusal(call(`${routePath(RELAY_HTTP.nodeAudit)}?before=0`, { token: node.credential }), 400, "bad_request");
    expect(message).toBe("before must be a positive integer");
    // The Node must exist before its query is looked at.
    await expectRefusal(call(`${routePath(RELAY_HTTP.adminAudit, { id: "0".repeat(32) })}?before=nope`, { token: ADMIN_TOKEN }), 404, "not_found");
  });
});

describe("request bodies", () => {
  const mint = routePath(RELAY_HTTP.mintDevice);

  it("refuses a body that is not JSON, or not the route's shape, with 400 bad_request and what it expects", async () => {
    const node = await registerNode();
    for (const body of [
      "{not json",
      "[]",
      '{"name":"x"}',
      '{"name":"x","role":"king"}',
      '{"name":"   ","role":"owner"}',
      '{"name":"x","role":"owner","expiresInSec":1}',
    ]) {
      const message = await expectRefusal(call(mint, { method: "POST", token: node.credential, body }), 400, "bad_request");
      expect(message).toBe("expected {name, role: owner|sub-admin|guest, expiresInSec?}");
    }
    const device = await mintDevice(node, "alice-phone");
    const rename = routePath(RELAY_HTTP.renameDevice, { id: device.id });
    expect(await expectRefusal(call(rename, { method: "PATCH", token: node.credential, body: '{"nom":"x"}' }), 400, "bad_request")).toBe("expected {name}");
  });

  it("checks the credential before the body", async () => {
    await expectRefusal(call(mint, { method: "POST", body: "{not json" }), 401, "unauthorized");
  });

  it("reads a JSON body whatever its Content-Type says, and ignores keys it does not know", async () => {
    const node = await registerNode();
    for (const contentType of [null, "text/plain"]) {
      const body = JSON.stringify({ name: "  bob  ", role: "owner", colour: "blue" });
      const minted = await expectAnswer(RELAY_HTTP.mintDevice, call(mint, { method: "POST", token: node.credential, body, contentType }));
      expect(minted).toMatchObject({ name: "bob", role: "owner" });
      expect(minted).not.toHaveProperty("colour");
    }
  });
});
