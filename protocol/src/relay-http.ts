/**
 * The relay's HTTP API, defined once: for every route its method and path, what the request carries
 * (a JSON body, a query) and what a success answers. The Worker validates requests with these schemas
 * and types its answers by them; the agent parses every answer with them. The WebSocket upgrades
 * (/v1/node/connect, /v1/client/connect, /v1/node/pair, /v1/pair/<nameplate>) carry no HTTP bodies:
 * their frames are in frames.ts and pairing-frames.ts.
 *
 * API flow (JSON both ways; every refusal is an ErrorBody, errors.ts, with a 4xx or 5xx status)
 *
 *   anyone   → relay  GET /healthz                               → {ok, errorCodes}
 *   agent    → relay  POST /v1/nodes                             Bearer <registration secret>, if the relay has one
 *   relay    → agent  201 {nodeId, credential}                   429 rate_limited carries Retry-After
 *   agent    → relay  POST /v1/node/devices {name, role, expiresInSec?}     Bearer ora_node_… (so are all /v1/node/*)
 *   relay    → agent  201 the device and its credential          the credential is shown this once
 *   agent    → relay  GET /v1/node/devices                       → {devices}
 *   agent    → relay  PATCH /v1/node/devices/<id> {name}         → the device
 *   agent    → relay  DELETE /v1/node/devices/<id>               → {closedSessions}  revoked, its sockets closed (4003)
 *   agent    → relay  POST /v1/node/devices/<id>/rotate          → {closedSessions}  its sockets closed (1001)
 *   agent    → relay  GET /v1/node/audit?limit=&before=          → {entries, before}  newest first
 *   agent    → relay  PUT /v1/node/devices/<id>/push {endpoint}  → {origin}  403 forbidden: not a push service the relay sends to
 *   agent    → relay  DELETE /v1/node/devices/<id>/push          → {removed}
 *   agent    → relay  POST /v1/node/devices/<id>/push/messages {payload, ttl, urgency, topic?}
 *   relay    → agent  200 {outcome: sent|gone}                   gone: the push service dropped the subscription, and so did the relay;
 *                                                                 413 too_large, 429 rate_limited (Retry-After), 502 internal
 *   agent    → relay  PUT /v1/node/deposits/<id> {dueAt, messages: [{device, payload, ttl, urgency?, topic?}]}
 *   relay    → agent  200 {dueAt}                               the relay sends it at dueAt unless withdrawn; the same id replaces;
 *                                                                 409 id_in_use: already sent; 429 pending_limit: the Node holds its most
 *   agent    → relay  DELETE /v1/node/deposits/<id>              → {state: withdrawn|sent|unknown, sentAt?}
 *   agent    → relay  PUT /v1/node/lockdown {keepDevice?}         → {locked, since, closedSessions}  every client session but keepDevice's
 *                                                                 closed (4012); new sessions of other devices and every pairing refused (locked_down)
 *   agent    → relay  DELETE /v1/node/lockdown                   → {locked: false, since: null, closedSessions: 0}
 *   anyone   → relay  GET /v1/push/vapid-key                     → {publicKey}  404 not_found when the relay has no VAPID key
 *   operator → relay  GET /v1/admin/nodes?limit=&cursor=         Bearer ORA_ADMIN_TOKEN (so are all /v1/admin/*)
 *   operator → relay  GET /v1/admin/nodes/<id>/metrics
 *   operator → relay  GET /v1/admin/nodes/<id>/audit?limit=&before=
 *
 * Readers ignore keys they do not know (zod objects strip them), so adding a field to an answer is
 * compatible; renaming or removing one is not, and then PROTOCOL_VERSION says so.
 */
import * as z from "zod/mini";
import type { input } from "zod/mini";
import { DeviceId, Role } from "./frames.js";
import { PushSubscription } from "./methods/notifications.js";

/** Milliseconds since the epoch. */
const Millis = z.number().check(z.int(), z.nonnegative());
const Count = z.number().check(z.int(), z.nonnegative());

export const NodeId = z.string().check(z.regex(/^[0-9a-f]{32}$/));
export const DeviceName = z.string().check(z.trim(), z.minLength(1), z.maxLength(64));

/** A client device as the relay's device API lists it (never with its credential, which is shown once). */
export const Device = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  role: Role,
  createdAt: Millis,
  expiresAt: z.nullable(Millis),
  revokedAt: z.nullable(Millis),
  lastSeen: z.nullable(Millis),
});
export type Device = z.infer<typeof Device>;

export const MintDeviceBody = z.object({
  name: DeviceName,
  role: Role,
  expiresInSec: z.optional(z.number().check(z.int(), z.gte(60), z.lte(5 * 365 * 86_400))),
});
export type MintDeviceBody = z.infer<typeof MintDeviceBody>;

export const MintedDevice = z.extend(Device, { credential: z.string().check(z.minLength(1)) });
export type MintedDevice = z.infer<typeof MintedDevice>;

export const DeviceList = z.object({ devices: z.array(Device) });
export type DeviceList = z.infer<typeof DeviceList>;

export const ClosedSessions = z.object({ closedSessions: Count });
export type ClosedSessions = z.infer<typeof ClosedSessions>;

/** One row of a Node's relay-side trail: metadata only (docs/OPERATIONS.md lists the kinds). */
export const AuditEntry = z.object({
  seq: z.number().check(z.int(), z.positive()),
  at: Millis,
  // A string, not an enum: the relay may record new kinds, and a reader shows them as they come.
  kind: z.string().check(z.minLength(1)),
  device: z.nullable(z.string()),
  detail: z.nullable(z.string()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  /** Pass as `before` for the next (older) page; null on the last page. */
  before: z.nullable(z.number().check(z.int(), z.positive())),
});
export type AuditPage = z.infer<typeof AuditPage>;

/** Page sizes are lenient: anything that is not a number means the default, the rest is clamped. */
const PageLimit = z.pipe(
  z.optional(z.string()),
  z.transform((limit) => Math.min(500, Math.max(1, Math.floor(Number(limit ?? 100)) || 100))),
);

const AuditQuery = z.object({
  limit: PageLimit,
  before: z
    .pipe(
      z.optional(z.string()),
      z.transform((before) => (before === undefined ? undefined : Number(before))),
    )
    .check(z.refine((before) => before === undefined || (Number.isSafeInteger(before) && before > 0))),
});

export const NodeSummary = z.object({ id: NodeId, createdAt: Millis });
export type NodeSummary = z.infer<typeof NodeSummary>;

export const NodeList = z.object({
  nodes: z.array(NodeSummary),
  /** Pass as `cursor` for the next page; null on the last page. */
  cursor: z.nullable(z.string()),
});
export type NodeList = z.infer<typeof NodeList>;

/**
 * One Node's counters for the operator: numbers only (docs/OPERATIONS.md, Metrics). Loose, so a
 * counter the relay adds reaches the operator before this list names it.
 */
export const MetricsSnapshot = z.looseObject({
  node: z.nullable(NodeId),
  connected: z.boolean(),
  sessions: Count,
  pending: Count,
  agentConnects: Count,
  clientConnects: Count,
  requests: Count,
  answers: Count,
  chunks: Count,
  timeouts: Count,
  cancels: Count,
  pushes: Count,
  pendingHighWater: Count,
  bytesIn: Count,
  bytesOut: Count,
  /** Refusals by error code. */
  rejections: z.record(z.string(), Count),
  /** Frames not delivered, by reason. */
  drops: z.record(z.string(), Count),
  /** Counts per latency bucket. */
  latencyMs: z.array(Count),
  /** Web Push by outcome (sent, gone, refused_origin, rate_limited…); docs/OPERATIONS.md lists them. */
  push: z.optional(z.record(z.string(), Count)),
  /** Reminder deposits: held now, and sent, withdrawn, refused, failed, retried so far. */
  deposits: z.optional(z.record(z.string(), Count)),
  /** Lockdown: active (0 or 1), entered, lifted, closedSessions, refusedSessions, refusedPairings. */
  lockdown: z.optional(z.record(z.string(), Count)),
  /** The session cap: max (ORA_RELAY_MAX_SESSIONS) and sessions refused over it so far (`session_limit`). */
  sessionCap: z.optional(z.record(z.string(), Count)),
});
export type MetricsSnapshot = z.infer<typeof MetricsSnapshot>;

export const Health = z.object({ ok: z.literal(true), errorCodes: Count });
export type Health = z.infer<typeof Health>;

export const NodeRegistered = z.object({ nodeId: NodeId, credential: z.string().check(z.minLength(1)) });
export type NodeRegistered = z.infer<typeof NodeRegistered>;

// ---- Web Push (RFC 8030 + RFC 8291 + RFC 8292): the agent encrypts, the relay signs and forwards ----

/** A push service accepts at least 4096 bytes of message body (RFC 8030 §7.2); the agent pads to it. */
export const PUSH_MAX_BYTES = 4096;
/** The longest TTL the relay passes on: 28 days, what the major push services keep a message at most. */
export const PUSH_MAX_TTL_SEC = 28 * 86_400;

/** The relay's VAPID public key (RFC 8292 §3.2): base64url of the uncompressed P-256 point. */
export const VapidKey = z.object({ publicKey: z.string().check(z.regex(/^[A-Za-z0-9_-]{87}$/)) });
export type VapidKey = z.infer<typeof VapidKey>;

export const PushEndpointBody = z.object({ endpoint: PushSubscription.shape.endpoint });
export type PushEndpointBody = z.infer<typeof PushEndpointBody>;

export const PushEndpointSet = z.object({ origin: z.string() });
export type PushEndpointSet = z.infer<typeof PushEndpointSet>;

export const PushEndpointRemoved = z.object({ removed: z.boolean() });
export type PushEndpointRemoved = z.infer<typeof PushEndpointRemoved>;

export const PUSH_URGENCIES = ["very-low", "low", "normal", "high"] as const;

/** One message for a device's push subscription: ciphertext only (RFC 8291 aes128gcm), never plaintext. */
export const PushMessageBody = z.object({
  /** The encrypted body, base64url; at most PUSH_MAX_BYTES once decoded. */
  payload: z.string().check(z.regex(/^[A-Za-z0-9_-]+$/), z.maxLength(Math.ceil((PUSH_MAX_BYTES * 4) / 3))),
  /** Seconds the push service keeps the message for a device that is offline (RFC 8030 §5.2). */
  ttl: z.number().check(z.int(), z.gte(0), z.lte(PUSH_MAX_TTL_SEC)),
  urgency: z._default(z.enum(PUSH_URGENCIES), "normal"),
  /** A newer message with the same topic replaces an undelivered one (RFC 8030 §5.4). */
  topic: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,32}$/))),
});
export type PushMessageBody = z.infer<typeof PushMessageBody>;

export const PushSent = z.object({
  /** `gone`: the subscription no longer exists (404/410); the relay forgot the endpoint, the agent should too. */
  outcome: z.enum(["sent", "gone"]),
});
export type PushSent = z.infer<typeof PushSent>;

// ---- Reminder deposits: a notification sealed on the PC, held by the relay until its due time ----

/** The most devices one deposit carries a message for. */
export const DEPOSIT_MAX_DEVICES = 10;
/** The furthest ahead a deposit may be due (the longest a push service keeps a message, too). */
export const DEPOSIT_MAX_AHEAD_MS = PUSH_MAX_TTL_SEC * 1000;

/** Chosen by the agent, opaque to the relay (it says nothing of the schedule). */
export const DepositId = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/));

export const DepositBody = z.object({
  /** When the relay sends it, unless the agent withdrew it first (ms since the epoch). */
  dueAt: z.number().check(z.int(), z.positive()),
  /** One sealed message per device, as sendPush takes it. */
  messages: z.array(z.extend(PushMessageBody, { device: DeviceId })).check(z.minLength(1), z.maxLength(DEPOSIT_MAX_DEVICES)),
});
export type DepositBody = z.infer<typeof DepositBody>;
export type DepositBodyInput = input<typeof DepositBody>;

export const DepositSet = z.object({ dueAt: z.number() });
export type DepositSet = z.infer<typeof DepositSet>;

/**
 * `withdrawn`: the relay will not send it (the agent delivers, or nobody does), also when it tried and
 * no message reached a push service; `sent`: the relay already sent it (or has begun to), at `sentAt`;
 * `unknown`: no such deposit (never made, or forgotten a week after it was sent).
 */
export const DepositWithdrawn = z.object({ state: z.enum(["withdrawn", "sent", "unknown"]), sentAt: z.optional(z.number()) });
export type DepositWithdrawn = z.infer<typeof DepositWithdrawn>;

// ---- Lockdown: the owner stopped everything; the relay keeps only the invoking device's sessions ----

export const LockdownBody = z.object({
  /** The device whose sessions stay open (the owner device that asked); absent: none stays. */
  keepDevice: z.optional(DeviceId),
});
export type LockdownBody = z.infer<typeof LockdownBody>;

export const LockdownState = z.object({
  locked: z.boolean(),
  /** When the relay's lockdown began (ms); null when not locked. Entering again keeps the first time. */
  since: z.nullable(Millis),
  /** Client sessions closed by this call. */
  closedSessions: Count,
});
export type LockdownState = z.infer<typeof LockdownState>;

export interface HttpRoute {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Hono's syntax: `:name` is a path parameter. */
  readonly path: string;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  /** The message of the 400 `bad_request` when the body or the query does not fit. */
  readonly invalid?: string;
  readonly status: 200 | 201;
  readonly response: z.ZodMiniType;
}

export const RELAY_HTTP = {
  health: { method: "GET", path: "/healthz", status: 200, response: Health },
  registerNode: { method: "POST", path: "/v1/nodes", status: 201, response: NodeRegistered },
  mintDevice: {
    method: "POST",
    path: "/v1/node/devices",
    body: MintDeviceBody,
    invalid: "expected {name, role: owner|sub-admin|guest, expiresInSec?}",
    status: 201,
    response: MintedDevice,
  },
  listDevices: { method: "GET", path: "/v1/node/devices", status: 200, response: DeviceList },
  renameDevice: {
    method: "PATCH",
    path: "/v1/node/devices/:id",
    body: z.object({ name: DeviceName }),
    invalid: "expected {name}",
    status: 200,
    response: Device,
  },
  revokeDevice: { method: "DELETE", path: "/v1/node/devices/:id", status: 200, response: ClosedSessions },
  rotateDevice: { method: "POST", path: "/v1/node/devices/:id/rotate", status: 200, response: ClosedSessions },
  nodeAudit: { method: "GET", path: "/v1/node/audit", query: AuditQuery, invalid: "before must be a positive integer", status: 200, response: AuditPage },
  setPushEndpoint: {
    method: "PUT",
    path: "/v1/node/devices/:id/push",
    body: PushEndpointBody,
    invalid: "expected {endpoint: an http(s) URL}",
    status: 200,
    response: PushEndpointSet,
  },
  deletePushEndpoint: { method: "DELETE", path: "/v1/node/devices/:id/push", status: 200, response: PushEndpointRemoved },
  sendPush: {
    method: "POST",
    path: "/v1/node/devices/:id/push/messages",
    body: PushMessageBody,
    invalid: "expected {payload: base64url ciphertext of at most 4096 bytes, ttl, urgency?, topic?}",
    status: 200,
    response: PushSent,
  },
  setDeposit: {
    method: "PUT",
    path: "/v1/node/deposits/:id",
    body: DepositBody,
    invalid: "expected {dueAt, messages: [{device, payload, ttl, urgency?, topic?}] (1 to 10)}",
    status: 200,
    response: DepositSet,
  },
  withdrawDeposit: { method: "DELETE", path: "/v1/node/deposits/:id", status: 200, response: DepositWithdrawn },
  setLockdown: {
    method: "PUT",
    path: "/v1/node/lockdown",
    body: LockdownBody,
    invalid: "expected {keepDevice?: a device id}",
    status: 200,
    response: LockdownState,
  },
  clearLockdown: { method: "DELETE", path: "/v1/node/lockdown", status: 200, response: LockdownState },
  vapidKey: { method: "GET", path: "/v1/push/vapid-key", status: 200, response: VapidKey },
  adminNodes: {
    method: "GET",
    path: "/v1/admin/nodes",
    query: z.object({ limit: PageLimit, cursor: z.optional(z.string()) }),
    status: 200,
    response: NodeList,
  },
  adminMetrics: { method: "GET", path: "/v1/admin/nodes/:id/metrics", status: 200, response: MetricsSnapshot },
  adminAudit: {
    method: "GET",
    path: "/v1/admin/nodes/:id/audit",
    query: AuditQuery,
    invalid: "before must be a positive integer",
    status: 200,
    response: AuditPage,
  },
} as const satisfies Record<string, HttpRoute>;

/** What a success of `route` answers, once parsed. */
export type ResponseOf<R extends HttpRoute> = z.infer<R["response"]>;
/** What a request to `route` sends as its JSON body. */
export type BodyOf<R extends HttpRoute> = R["body"] extends z.ZodMiniType ? input<R["body"]> : never;

/** The names of a path's `:name` parameters. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<Rest>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** `route`'s path with its parameters filled in (and escaped). */
export function routePath<R extends HttpRoute>(
  route: R,
  ...params: [PathParams<R["path"]>] extends [never] ? [] : [Record<PathParams<R["path"]>, string>]
): string {
  const values: Record<string, string> = params[0] ?? {};
  return route.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? ""));
}
