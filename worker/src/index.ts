/**
 * The relay Worker: HTTP routes and WebSocket upgrade routing. It authenticates every connection
 * itself (the credential's tag, see credentials.ts) and only then picks the Node's Durable Object
 * from the verified credential, never from an id the caller merely claims.
 */
import { ERROR_CODES, Role, SUBPROTOCOL, type CredentialKind } from "@ora/protocol";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { keyedHash, openCredential, sameSecret, isNodeId, type OpenedCredential } from "./credentials.js";
import type { Env } from "./env.js";
import { bearer, httpError, offeredProtocols } from "./http.js";
import { CREDENTIAL_HASH_HEADER } from "./node/node-object.js";

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
  const pepper = requirePepper(c.env);
  const secret = c.env.ORA_REGISTRATION_SECRET;
  if (secret && !(await sameSecret(bearer(c.req.raw) ?? "", secret))) httpError(401, "unauthorized", "registration needs the relay's registration secret");
  const source = await keyedHash(`ip:${c.req.header("CF-Connecting-IP") ?? "local"}`, pepper);
  const registry = c.env.REGISTRY.get(c.env.REGISTRY.idFromName("registry"));
  const result = await registry.register(source);
  if (!result.ok) {
    // Not httpError: the HTTPException's own response would drop headers set with c.header().
    const headers = { "Retry-After": String(result.retryAfterSec) };
    return c.json({ code: "rate_limited", message: "too many registrations from this address; try later" }, 429, headers);
  }
  return c.json({ nodeId: result.nodeId, credential: result.credential }, 201);
});

app.get("/v1/node/connect", async (c) => upgrade(c.env, c.req.raw, "node", "/agent"));
app.get("/v1/client/connect", async (c) => upgrade(c.env, c.req.raw, "device", "/client"));

const MintDevice = z.object({
  name: z.string().trim().min(1).max(64),
  role: Role,
  expiresInSec: z.number().int().min(60).max(5 * 365 * 86_400).optional(),
});

app.post("/v1/node/devices", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  const input = MintDevice.safeParse(await c.req.json().catch(() => undefined));
  if (!input.success) httpError(400, "bad_request", "expected {name, role: owner|sub-admin|guest, expiresInSec?}");
  return c.json(unwrap(await stub.mintDevice(hash, input.data)), 201);
});

app.get("/v1/node/devices", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  return c.json({ devices: unwrap(await stub.listDevices(hash)) });
});

app.delete("/v1/node/devices/:id", async (c) => {
  const { stub, hash } = await nodeOf(c.env, c.req.raw);
  return c.json(unwrap(await stub.revokeDevice(hash, c.req.param("id"))));
});

// ---- Operator ----

app.use("/v1/admin/*", async (c, next) => {
  const token = c.env.ORA_ADMIN_TOKEN;
  if (!token) httpError(404, "not_found", "the admin API is off: set ORA_ADMIN_TOKEN");
  if (!(await sameSecret(bearer(c.req.raw) ?? "", token))) httpError(401, "unauthorized", "admin token required");
  await next();
});

app.get("/v1/admin/nodes", async (c) => {
  const limit = Math.min(500, Math.max(1, Number(c.req.query("limit") ?? 100) || 100));
  const registry = c.env.REGISTRY.get(c.env.REGISTRY.idFromName("registry"));
  return c.json(await registry.list(limit, c.req.query("cursor")));
});

app.get("/v1/admin/nodes/:id/metrics", async (c) => {
  const nodeId = c.req.param("id");
  const registry = c.env.REGISTRY.get(c.env.REGISTRY.idFromName("registry"));
  if (!isNodeId(nodeId) || !(await registry.exists(nodeId))) httpError(404, "not_found", "no such node");
  return c.json(await c.env.NODE.get(c.env.NODE.idFromName(nodeId)).metricsSnapshot());
});

// ---- helpers ----

function requirePepper(env: Env): string {
  if (!env.ORA_TOKEN_PEPPER || env.ORA_TOKEN_PEPPER.length < 16) {
    console.error("ORA_TOKEN_PEPPER is missing or shorter than 16 characters");
    httpError(503, "internal", "the relay is not configured");
  }
  return env.ORA_TOKEN_PEPPER;
}

async function verify(env: Env, request: Request, kind: CredentialKind): Promise<OpenedCredential> {
  const pepper = requirePepper(env);
  const opened = await openCredential(bearer(request) ?? "", kind, pepper);
  if (!opened) httpError(401, "unauthorized", "credential not accepted");
  return opened;
}

async function nodeOf(env: Env, request: Request) {
  const { nodeId, hash } = await verify(env, request, "node");
  return { stub: env.NODE.get(env.NODE.idFromName(nodeId)), hash };
}

async function upgrade(env: Env, request: Request, kind: CredentialKind, path: string): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") httpError(426, "bad_request", "expected a WebSocket upgrade");
  const { nodeId, hash } = await verify(env, request, kind);
  // The credential goes no further than this Worker: the object gets its keyed hash only.
  const headers = new Headers(request.headers);
  headers.delete("Authorization");
  if (offeredProtocols(request).includes(SUBPROTOCOL)) headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
  else headers.delete("Sec-WebSocket-Protocol");
  headers.set(CREDENTIAL_HASH_HEADER, hash);
  return env.NODE.get(env.NODE.idFromName(nodeId)).fetch(new Request(`https://node${path}`, { headers }));
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; code: (typeof ERROR_CODES)[number]; message: string }): T {
  if (result.ok) return result.value;
  httpError(result.code === "not_found" ? 404 : 401, result.code, result.message);
}

export default app;
