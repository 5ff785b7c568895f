/**
 * Authenticate, then route: the Worker checks a credential's tag and picks the Node's Durable Object
 * from the verified credential, never from an id the caller merely claims (which would let anyone
 * reach any Node's object). The object receives the credential's keyed hash only.
 */
import { SUBPROTOCOL, encodeFrame, type CredentialKind, type ErrorBody, type ErrorCode } from "@ora/protocol";
import { createMiddleware } from "hono/factory";
import { keyedHash, openCredential, type OpenedCredential } from "./credentials.js";
import type { Env } from "./env.js";
import { bearer, httpError, offeredProtocols, type RelayEnv } from "./http.js";
import { CREDENTIAL_HASH_HEADER, NAMEPLATE_HEADER, SOURCE_HEADER } from "./internal-headers.js";

export function requirePepper(env: Env): string {
  if (!env.ORA_TOKEN_PEPPER || env.ORA_TOKEN_PEPPER.length < 16) {
    console.error("ORA_TOKEN_PEPPER is missing or shorter than 16 characters");
    httpError(503, "internal", "the relay is not configured");
  }
  return env.ORA_TOKEN_PEPPER;
}

/** A keyed hash of the caller's address: rate limits and the audit trail never hold the address. */
export function sourceOf(env: Env, request: Request): Promise<string> {
  return keyedHash(`ip:${request.headers.get("CF-Connecting-IP") ?? "local"}`, requirePepper(env));
}

async function verify(env: Env, request: Request, kind: CredentialKind): Promise<OpenedCredential> {
  const opened = await openCredential(bearer(request) ?? "", kind, requirePepper(env));
  if (!opened) httpError(401, "unauthorized", "credential not accepted");
  return opened;
}

export async function nodeOf(env: Env, request: Request) {
  const { nodeId, hash } = await verify(env, request, "node");
  return { stub: env.NODE.get(env.NODE.idFromName(nodeId)), hash };
}

/** The /v1/node/* routes: the Node credential's tag is checked before the body or the query. */
export const asOwner = createMiddleware<RelayEnv>(async (c, next) => {
  c.set("owner", await nodeOf(c.env, c.req.raw));
  await next();
});

export function requireUpgrade(request: Request): void {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") httpError(426, "bad_request", "expected a WebSocket upgrade");
}

/** The upgrade headers an object may see: ours, and the subprotocol reduced to exactly SUBPROTOCOL. */
async function internalHeaders(env: Env, request: Request): Promise<Headers> {
  const headers = new Headers(request.headers);
  for (const name of ["Authorization", CREDENTIAL_HASH_HEADER, NAMEPLATE_HEADER]) headers.delete(name);
  if (offeredProtocols(request).includes(SUBPROTOCOL)) headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
  else headers.delete("Sec-WebSocket-Protocol");
  headers.set(SOURCE_HEADER, await sourceOf(env, request));
  return headers;
}

/** An authenticated WebSocket upgrade, handed to the object of the credential's Node at `path`. */
export async function upgrade(env: Env, request: Request, kind: CredentialKind, path: string): Promise<Response> {
  requireUpgrade(request);
  const { nodeId, hash } = await verify(env, request, kind);
  // The credential goes no further than this Worker: the object gets its keyed hash only.
  const headers = await internalHeaders(env, request);
  headers.set(CREDENTIAL_HASH_HEADER, hash);
  return env.NODE.get(env.NODE.idFromName(nodeId)).fetch(new Request(`https://node${path}`, { headers }));
}

/** A claimant's upgrade, already routed by the registry to `nodeId`. */
export async function claimUpgrade(env: Env, request: Request, nodeId: string, nameplate: string): Promise<Response> {
  const headers = await internalHeaders(env, request);
  headers.set(NAMEPLATE_HEADER, nameplate);
  return env.NODE.get(env.NODE.idFromName(nodeId)).fetch(new Request("https://node/pair-claim", { headers }));
}

/**
 * Refuses a WebSocket upgrade in a way a browser can read: it cannot see the HTTP status of a failed
 * upgrade (only a close with 1006), so the socket is accepted, told `err` and closed with `close`.
 */
export function refuseSocket(request: Request, code: ErrorCode, message: string, close: number): Response {
  const pair = new WebSocketPair();
  pair[1].accept();
  pair[1].send(encodeFrame({ t: "err", code, message }));
  pair[1].close(close, code);
  const headers: HeadersInit = offeredProtocols(request).includes(SUBPROTOCOL) ? { "Sec-WebSocket-Protocol": SUBPROTOCOL } : {};
  return new Response(null, { status: 101, webSocket: pair[0], headers });
}

/** The value of an object's `{ok, value} | {ok: false, code, message}` answer, or the HTTP error. */
export function unwrap<T>(result: { ok: true; value: T } | ({ ok: false } & ErrorBody)): T {
  if (result.ok) return result.value;
  const status = result.code === "not_found" ? 404 : result.code === "bad_request" ? 400 : result.code === "rate_limited" ? 429 : 401;
  httpError(status, result.code, result.message);
}
