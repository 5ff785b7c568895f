/**
 * The relay Worker: HTTP routes and WebSocket upgrade routing. It authenticates every connection
 * itself (the credential's tag, see credentials.ts) and only then picks the Node's Durable Object
 * from the verified credential, never from an id the caller merely claims.
 */
import { DEPOSIT_MAX_DEVICES, ERROR_CODES, Nameplate, PairCloseCode, RELAY_HTTP as API, useEnglishSchemaMessages } from "@ora/protocol";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { HTTPException } from "hono/http-exception";
import { asOwner, claimUpgrade, refuseSocket, requirePepper, requireUpgrade, sourceOf, unwrap, upgrade } from "./admission.js";
import { isNodeId, sameSecret } from "./credentials.js";
import { registerDepositRoutes } from "./deposits/routes.js";
import { answer, answerChecked, bearer, httpError, validBody, validQuery, type RelayEnv } from "./http.js";
import { registerLockdownRoutes } from "./node/lockdown-routes.js";
import { registerPushRoutes } from "./push/routes.js";
import { registryOf } from "./registry.js";

// Frame and body errors are answered as text: English messages, not zod/mini's bare "Invalid input".
useEnglishSchemaMessages();

export { NodeObject } from "./node/node-object.js";
export { Registry } from "./registry.js";

const app = new Hono<RelayEnv>();

app.onError((err) => {
  if (err instanceof HTTPException) return err.getResponse();
  // Details stay in the relay's log; the caller gets the stable code only.
  console.error("unhandled", err instanceof Error ? err.name : "error");
  return Response.json({ code: "internal", message: "internal error" }, { status: 500 });
});
app.notFound(() => Response.json({ code: "not_found", message: "no such route" }, { status: 404 }));
const bodiesUpTo = (maxSize: number) => bodyLimit({ maxSize, onError: () => httpError(413, "too_large", "request body too large") });
const smallBody = bodiesUpTo(4096);
// A push message carries up to 4096 bytes of ciphertext, base64url inside JSON; a deposit up to
// DEPOSIT_MAX_DEVICES of them (5,462 characters each, with a device id and a few small fields).
const pushBody = bodiesUpTo(8192);
const depositBody = bodiesUpTo(DEPOSIT_MAX_DEVICES * 6 * 1024);
app.use("/v1/*", (c, next) => {
  const path = c.req.path;
  return (path.endsWith("/push/messages") ? pushBody : path.startsWith("/v1/node/deposits/") ? depositBody : smallBody)(c, next);
});

app.get(API.health.path, (c) => answer(c, API.health, { ok: true, errorCodes: ERROR_CODES.length }));

// ---- Nodes ----

app.post(API.registerNode.path, async (c) => {
  requirePepper(c.env);
  const secret = c.env.ORA_REGISTRATION_SECRET;
  if (secret && !(await sameSecret(bearer(c.req.raw) ?? "", secret))) httpError(401, "unauthorized", "registration needs the relay's registration secret");
  const result = await registryOf(c.env).register(await sourceOf(c.env, c.req.raw));
  if (!result.ok) {
    // Not httpError: the HTTPException's own response would drop headers set with c.header().
    const headers = { "Retry-After": String(result.retryAfterSec) };
    return c.json({ code: "rate_limited", message: "too many registrations from this address; try later" }, 429, headers);
  }
  return answer(c, API.registerNode, { nodeId: result.nodeId, credential: result.credential });
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

app.post(API.mintDevice.path, asOwner, validBody(API.mintDevice), async (c) => {
  const { stub, hash } = c.var.owner;
  return answerChecked(c, API.mintDevice, unwrap(await stub.owner(hash, { op: "mint", input: c.req.valid("json") })));
});

app.get(API.listDevices.path, asOwner, async (c) => {
  const { stub, hash } = c.var.owner;
  return answerChecked(c, API.listDevices, unwrap(await stub.owner(hash, { op: "list" })));
});

app.delete(API.revokeDevice.path, asOwner, async (c) => {
  const { stub, hash } = c.var.owner;
  return answerChecked(c, API.revokeDevice, unwrap(await stub.owner(hash, { op: "revoke", id: c.req.param("id") })));
});

app.patch(API.renameDevice.path, asOwner, validBody(API.renameDevice), async (c) => {
  const { stub, hash } = c.var.owner;
  const { name } = c.req.valid("json");
  return answerChecked(c, API.renameDevice, unwrap(await stub.owner(hash, { op: "rename", id: c.req.param("id"), name })));
});

app.post(API.rotateDevice.path, asOwner, async (c) => {
  const { stub, hash } = c.var.owner;
  return answerChecked(c, API.rotateDevice, unwrap(await stub.owner(hash, { op: "rotate", id: c.req.param("id") })));
});

app.get(API.nodeAudit.path, asOwner, validQuery(API.nodeAudit), async (c) => {
  const { stub, hash } = c.var.owner;
  const { limit, before } = c.req.valid("query");
  return answerChecked(c, API.nodeAudit, unwrap(await stub.owner(hash, { op: "audit", limit, before })));
});

registerPushRoutes(app);
registerDepositRoutes(app);
registerLockdownRoutes(app);

// ---- Operator ----

app.use("/v1/admin/*", async (c, next) => {
  const token = c.env.ORA_ADMIN_TOKEN;
  if (!token) httpError(404, "not_found", "the admin API is off: set ORA_ADMIN_TOKEN");
  if (!(await sameSecret(bearer(c.req.raw) ?? "", token))) httpError(401, "unauthorized", "admin token required");
  await next();
});

/** The operator's per-Node routes: a Node the registry knows, else 404 (checked before the query). */
const knownNode = createMiddleware<RelayEnv>(async (c, next) => {
  const nodeId = c.req.param("id") ?? "";
  if (!isNodeId(nodeId) || !(await registryOf(c.env).exists(nodeId))) httpError(404, "not_found", "no such node");
  c.set("node", c.env.NODE.get(c.env.NODE.idFromName(nodeId)));
  await next();
});

app.get(API.adminNodes.path, validQuery(API.adminNodes), async (c) => {
  const { limit, cursor } = c.req.valid("query");
  return answer(c, API.adminNodes, await registryOf(c.env).list(limit, cursor));
});

app.get(API.adminMetrics.path, knownNode, async (c) => answerChecked(c, API.adminMetrics, await c.var.node.metricsSnapshot()));

app.get(API.adminAudit.path, knownNode, validQuery(API.adminAudit), async (c) => {
  const { limit, before } = c.req.valid("query");
  return answerChecked(c, API.adminAudit, unwrap(await c.var.node.operatorAudit(limit, before)));
});

export default app;
