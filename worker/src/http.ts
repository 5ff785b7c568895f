/**
 * HTTP helpers shared by the routes: typed JSON errors, credential extraction, and the checks that
 * hold requests and answers to the contract in protocol/src/relay-http.ts.
 */
import { BEARER_SUBPROTOCOL_PREFIX, type ErrorBody, type ErrorCode, type HttpRoute, type ResponseOf } from "@ora/protocol";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod/mini";
import type { Env } from "./env.js";
import type { NodeObject } from "./node/node-object.js";

/** The app's bindings and what its middlewares hand the routes. */
export interface RelayEnv {
  Bindings: Env;
  Variables: {
    /** Set for /v1/node/* routes: the object of the Node whose credential the Worker verified, and the credential's hash. */
    owner: { stub: DurableObjectStub<NodeObject>; hash: string };
    /** Set for /v1/admin/nodes/:id routes: the object of a registered Node. */
    node: DurableObjectStub<NodeObject>;
  };
}

/** Throws the relay's one error shape, `{code, message}`, with an HTTP status. */
export function httpError(status: ContentfulStatusCode, code: ErrorCode, message: string): never {
  throw new HTTPException(status, { res: Response.json({ code, message } satisfies ErrorBody, { status }) });
}

type BodyRoute = HttpRoute & { body: z.ZodMiniType<object> };
type QueryRoute = HttpRoute & { query: z.ZodMiniType<object> };

/**
 * Checks a route's JSON body against its schema, whatever the Content-Type says (the API has never
 * insisted on one, so Hono's own json validator, which skips other types, would change what passes).
 * A body that does not fit is a 400 `bad_request` with the route's message.
 */
export function validBody<R extends BodyRoute>(
  route: R,
): MiddlewareHandler<RelayEnv, string, { in: { json: z.input<R["body"]> }; out: { json: z.output<R["body"]> } }> {
  return async (c, next) => {
    const input = route.body.safeParse(await c.req.json().catch(() => undefined));
    if (!input.success) httpError(400, "bad_request", route.invalid ?? "invalid request body");
    c.req.addValidatedData("json", input.data);
    await next();
  };
}

/** Checks a route's query (the first value of each key, as `c.req.query()` reads it) against its schema. */
export function validQuery<R extends QueryRoute>(
  route: R,
): MiddlewareHandler<RelayEnv, string, { in: { query: z.input<R["query"]> }; out: { query: z.output<R["query"]> } }> {
  return async (c, next) => {
    const input = route.query.safeParse(c.req.query());
    if (!input.success) httpError(400, "bad_request", route.invalid ?? "invalid query");
    c.req.addValidatedData("query", input.data);
    await next();
  };
}

/** A success of `route`, typed by its response schema. */
export function answer<R extends HttpRoute>(c: Context, route: R, body: ResponseOf<R>): Response {
  return c.json(body, route.status);
}

/**
 * A success of `route` that a Durable Object computed: its RPC answer does not say which route's
 * shape it has, so it is checked against the contract before it leaves. A mismatch is a 500
 * `internal` here rather than a malformed body at a client.
 */
export function answerChecked<R extends HttpRoute>(c: Context, route: R, value: unknown): Response {
  return c.json(route.response.parse(value), route.status);
}

/** A refusal a Durable Object computed, with the HTTP status to give it (and Retry-After when it has one). */
export type ObjectRefusal = { ok: false; status: ContentfulStatusCode; code: ErrorCode; message: string; retryAfterSec?: number };

/** An object's `{ok, value} | refusal` as the route's success (checked, as answerChecked does) or as its refusal. */
export function answerResult(c: Context, route: HttpRoute, result: { ok: true; value: unknown } | ObjectRefusal): Response {
  if (result.ok) return answerChecked(c, route, result.value);
  // Not httpError: the HTTPException's own response would drop the Retry-After header.
  const headers: Record<string, string> = result.retryAfterSec === undefined ? {} : { "Retry-After": String(result.retryAfterSec) };
  return c.json({ code: result.code, message: result.message } satisfies ErrorBody, result.status, headers);
}

/** A bearer credential from the Authorization header, or (browsers) from the offered subprotocols. */
export function bearer(request: Request): string | null {
  const auth = request.headers.get("Authorization");
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  for (const protocol of offeredProtocols(request)) {
    if (protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return protocol.slice(BEARER_SUBPROTOCOL_PREFIX.length);
  }
  return null;
}

export function offeredProtocols(request: Request): string[] {
  return (
    request.headers
      .get("Sec-WebSocket-Protocol")
      ?.split(",")
      .map((p) => p.trim())
      .filter(Boolean) ?? []
  );
}
