/**
 * The relay Worker: HTTP routes and WebSocket upgrade routing. It authenticates every connection
 * itself (the credential's tag, see credentials.ts) and only then picks the Node's Durable Object
 * from the verified credential, never from an id the caller merely claims.
 */
import { ERROR_CODES, Nameplate, PairCloseCode, Role } from "@ora/protocol";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { claimUpgrade, nodeOf, refuseSocket, requirePepper, requireUpgrade, sourceOf, unwrap, upgrade } from "./admission.js";
import { isNodeId, sameSecret } from "./credentials.js";
import type { Env } from "./env.js";
import { bearer, httpError } from "./http.js";
import { registryOf } from "./registry.js";

export { NodeObject } from "./node/node-object.js";
export { Registry } from "./registry.js";

const app = new Hono<{ Bindings: Env }>();

app.onError((err) => {
  if (err instanceof HTTPException) return err.getResponse();
  // Details stay in the relay's log; the caller gets the stable code only.
  console.error("unhandled", err instanceof Error ? err.name : "error");
  return Response.json({ code: "internal", message: "internal error" }, { status: 500 });
});
app.notFound(() => Response.json({ code: "not_found", message: "no such route" }, { status: 404 }));
app.use("/v1/*", bodyLimit({ maxSize: 4096, onError: () => httpError(413, "too_large", "request body too large") }));

app.get("/healthz", (c) => c.json({ ok: true, errorCodes: ERROR_CODES.length }));

// ---- Nodes ----

app.post("/v1/nodes", async (c) => {
  requirePepper(c.env);
  const secret = c.env.ORA_REGISTRATION_SECRET;
  if (secret && !(await sameSecret(bearer(c.req.raw) ?? "", secret))) httpError(401, "unauthorized", "registration needs the relay's registration secret");
  const result = await registryOf(c.env).register(await sourceOf(c.env, c.req.raw));
  if (!result.ok) {
    // Not httpError: the HTTPException's own response would drop headers set with c.header().
    const headers = { "Retry-After": String(result.retryAfterSec) };
    return c.json({ code: "rate_limited", message: "too many registrations from this address; try later" }, 429, headers);
  }
  return c.json({ nodeId: result.nodeId, credential: result.credential }, 201);
});

app.get("/v1/node/connect", async (c) => upgrade(c.env, c.req.raw, "node", "/agent"));
app.get("/v1/client/connect", async (c) => upgrade(c.env, c.req.raw, "device", "/client"));
// The pairing host authenticates like the agent, but its socket never replaces the agent's.
app.get("/v1/node/pair", async (c) => upgrade(c.env, c.req.raw, "node", "/pair-host"));

// A claimant has no credential: knowing the code is the point. Refusals are readable sockets.
app.get("/v1/pair/:nameplate", async (c) => {
  requireUpgrade(c.req.raw);
  const nameplate = c.req.param("nameplate");
  if (!Nameplate.safeParse(nameplate).success) return refuseSocket(c.req.raw, "not_found", "no such pairing code", PairCloseCode.REFUSED);
  const route = await registryOf(c.env).routeClaim(nameplate, await sourceOf(c.env, c.req.raw));
  if (!route.ok) {
    const message = route.code === "rate_limited" ? "too many pairing attempts; try later" : "no such pairing code";
    return refuseSocket(c.req.raw, route.code, message, PairCloseCode.REFUSED);
  }
  return claimUpgrade(c.env, c.req.raw, route.nodeId, nameplate);
});

const MintDevice = z.object({
  name: z.string().trim().min(1).max(64),
  role: Role,
  expiresInSec: z
    .number()
    .int()
    .min(60)
    .max(5 * 365 * 86_400)
    .optional(),
});

app.post("/v1/node/devices", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  const input = MintDevice.safeParse(await c.req.json().catch(() => undefined));
  if (!input.success) httpError(400, "bad_request", "expected {name, role: owner|sub-admin|guest, expiresInSec?}");
  return c.json(unwrap(await stub.owner(hash, { op: "mint", input: input.data })), 201);
});

app.get("/v1/node/devices", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  return c.json(unwrap(await stub.owner(hash, { op: "list" })));
});

app.delete("/v1/node/devices/:id", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  return c.json(unwrap(await stub.owner(hash, { op: "revoke", id: c.req.param("id") })));
});

const RenameDevice = z.object({ name: MintDevice.shape.name });

app.patch("/v1/node/devices/:id", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  const input = RenameDevice.safeParse(await c.req.json().catch(() => undefined));
  if (!input.success) httpError(400, "bad_request", "expected {name}");
  return c.json(unwrap(await stub.owner(hash, { op: "rename", id: c.req.param("id"), name: input.data.name })));
});

app.post("/v1/node/devices/:id/rotate", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  return c.json(unwrap(await stub.owner(hash, { op: "rotate", id: c.req.param("id") })));
});

app.get("/v1/node/audit", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  const { limit, before } = auditQuery(c.req.query("limit"), c.req.query("before"));
  return c.json(unwrap(await stub.owner(hash, { op: "audit", limit, before })));
});

// ---- Operator ----

app.use("/v1/admin/*", async (c, next) => {
  const token = c.env.ORA_ADMIN_TOKEN;
  if (!token) httpError(404, "not_found", "the admin API is off: set ORA_ADMIN_TOKEN");
  if (!(await sameSecret(bearer(c.req.raw) ?? "", token))) httpError(401, "unauthorized", "admin token required");
  await next();
});

app.get("/v1/admin/nodes", async (c) => {
  return c.json(await registryOf(c.env).list(pageSize(c.req.query("limit")), c.req.query("cursor")));
});

app.get("/v1/admin/nodes/:id/metrics", async (c) => {
  return c.json(await (await knownNode(c.env, c.req.param("id"))).metricsSnapshot());
});

app.get("/v1/admin/nodes/:id/audit", async (c) => {
  const node = await knownNode(c.env, c.req.param("id"));
  const { limit, before } = auditQuery(c.req.query("limit"), c.req.query("before"));
  return c.json(unwrap(await node.operatorAudit(limit, before)));
});

// ---- helpers ----

function pageSize(limit: string | undefined): number {
  return Math.min(500, Math.max(1, Math.floor(Number(limit ?? 100)) || 100));
}

function auditQuery(limit: string | undefined, before: string | undefined): { limit: number; before: number | undefined } {
  const cursor = before === undefined ? undefined : Number(before);
  if (cursor !== undefined && !(Number.isSafeInteger(cursor) && cursor > 0)) httpError(400, "bad_request", "before must be a positive integer");
  return { limit: pageSize(limit), before: cursor };
}

/** The object of a registered Node, for the operator; 404 for anything else. */
async function knownNode(env: Env, nodeId: string) {
  if (!isNodeId(nodeId) || !(await registryOf(env).exists(nodeId))) httpError(404, "not_found", "no such node");
  return env.NODE.get(env.NODE.idFromName(nodeId));
}

export default app;
