/**
 * ORA wire protocol: the frames between client sessions, the relay and the agent.
 *
 * Framing. Every WebSocket message is one frame:
 *
 *     <header JSON>                                   control frame, text
 *     <header JSON>\n<payload>                        data frame (req, res, chunk, end, push), text
 *     [u16 BE header length][header JSON][payload]    data frame, binary
 *
 * The header is a small JSON object (at most MAX_HEADER_CHARS) whose `t` names the frame type. The
 * relay parses only the header: the payload is opaque to it, forwarded unchanged and never stored.
 * JSON.stringify never emits a raw newline, so the first "\n" always ends a text frame's header.
 * Unknown header keys are ignored (forward compatibility); unknown types are answered with `bad_frame`.
 *
 * Binary data frames carry a sealed payload as its raw bytes (seq ‖ ciphertext ‖ tag), where a text
 * frame carries their base64url. A peer that says `"bin":true` in its hello reads them and, once the
 * welcome says `"bin":true` too, may send them; control frames and the handshake's clear payloads stay
 * text. The relay takes binary frames only from a peer that said bin (`bad_frame` otherwise) and
 * forwards a data frame as binary to a peer that said bin, as text (payload = base64url of the bytes)
 * to one that did not. Text data frames stay accepted until TEXT_DATA_ACCEPTED_UNTIL.
 *
 * Protocol flow
 *
 *   Agent (exactly one live connection per Node; a newer one replaces the older, which is closed with
 *   CloseCode.REPLACED):
 *     agent → relay  WebSocket upgrade GET /v1/node/connect, Authorization: Bearer ora_node_…
 *     agent → relay  {"t":"hello","v":1,"agent":"ora-agent/<version>","credit":true,"bin":true}   before
 *                    the handshake deadline; credit: it honours stream credit (see flow control);
 *                    bin: it reads binary data frames
 *     relay → agent  {"t":"welcome","v":1,"node":"…","limits":{…},"sessions":[{s,dev,role}…],"bin":true,
 *                    "agentLatest":"1.4.0","agentMinimum":"1.2.0"}     both optional: the operator's
 *                                                            newest agent release and oldest safe one
 *     relay → agent  {"t":"err","code":"upgrade_required","message":…,"agentMinimum":"1.2.0",
 *                    "agentLatest":"1.4.0"}, then close 4010   the hello named a version below the
 *                                                            minimum (or none): install agentLatest
 *     relay → agent  {"t":"session","s":"…","dev":"…","role":"owner","open":true|false}
 *     relay → agent  {"t":"req","rid":7,"s":"…","dev":"…","role":"owner"}\n<payload>
 *     agent → relay  {"t":"res","rid":7}\n<payload>                       a single answer, or
 *     agent → relay  {"t":"chunk","rid":7}\n<payload> … {"t":"end","rid":7}\n<payload>   a stream
 *     relay → agent  {"t":"cancel","rid":7,"reason":"timeout"}           stop work; answers are dropped
 *     relay → agent  {"t":"credit","rid":7,"bytes":N}                    the client's stream credit
 *     agent → relay  {"t":"push","to":"<session>"|"*"}\n<payload>          unsolicited, to one or all sessions
 *
 *   Client session (a device with a credential minted by its Node):
 *     client → relay WebSocket upgrade GET /v1/client/connect with Sec-WebSocket-Protocol
 *                    "ora.v1, ora.bearer.<credential>" (browsers) or Authorization: Bearer (others)
 *     client → relay {"t":"hello","v":1,"credit":true,"bin":true}   credit: it grants stream credit;
 *                                                            bin: it reads binary data frames
 *     relay → client {"t":"welcome","v":1,"session":"…","device":"…","role":"…","online":true,"limits":{…},
 *                    "rotate":true,"bin":true}             rotate: the credential is due for rotation;
 *                                                            bin: send data frames binary
 *     client → relay {"t":"rotate"}                          swap this device's credential for a fresh one
 *     relay → client {"t":"rotated","credential":"ora_dev_…"}  store it; the old one dies when the new is
 *                                                            first used (or after a short grace period)
 *     client → relay {"t":"req","id":"a1"}\n<payload>        id: unique among this session's pending requests
 *     relay → client {"t":"res","id":"a1"}\n<payload> | chunk … end | {"t":"err","id":"a1","code":…}
 *     client → relay {"t":"cancel","id":"a1"}               the relay answers err "cancelled"
 *     client → relay {"t":"ack","bytes":N}                  flow control, see below
 *     client → relay {"t":"credit","id":"a1","bytes":N}     stream credit, see below
 *     relay → client {"t":"push"}\n<payload>, {"t":"node","online":true|false}
 *
 *   Either peer may send {"t":"ping"}; the runtime answers {"t":"pong"} without waking the relay.
 *   Errors are {"t":"err","code":…,"message":…} with `id` (client) or `rid` (agent) when they concern
 *   one request. A request ends with exactly one of: res, end, err. A request that reuses the id of
 *   one still pending is refused with {"t":"err","dup":"a1","code":"id_in_use"}: under `dup`, so the
 *   pending one keeps its single ending.
 *
 *   Flow control, in two layers.
 *   Stream credit paces a sender: the agent may send a stream's chunks while the payload bytes of the
 *   chunks it sent are below the credit the client granted for that request, which starts at
 *   `limits.streamWindowBytes` and grows with every {"t":"credit","id","bytes":N} (N: the cumulative
 *   chunk payload bytes the client will take; a smaller N than before changes nothing). A client
 *   grants as it consumes (consumed + streamWindowBytes, at least every half window), so a stream
 *   goes as fast as its reader and never further ahead than a window (plus the chunk under way). The
 *   relay forwards credit to an agent that said `credit` in its hello, and tells the agent which
 *   sessions grant it (`credit` in session info); with a client or relay that does not, the agent
 *   sends without waiting.
 *   Both ends count a chunk's payload as it travels (text characters, or binary bytes); the relay
 *   gives a binary agent a text client's credit as 3/4 of it, since it turned each 3 bytes into 4.
 *   The session window stops a reader that stopped: each client acks the cumulative size of every
 *   frame it has received from the relay (UTF-8 bytes of text, the length of binary; pong excepted). When the unacknowledged bytes would
 *   pass `limits.windowBytes`, the relay stops forwarding to that session: a stream in flight fails
 *   with `slow_consumer` and pushes are dropped. Other sessions never wait for a slow one. Ack at
 *   least every windowBytes / 4.
 */
import * as z from "zod/mini";
import { AgentVersion } from "./agent-version.js";
import { CANCEL_REASONS, ERROR_CODES } from "./errors.js";

/** Headers are small by design; anything larger is a bad frame. */
export const MAX_HEADER_CHARS = 512;

export const ROLES = ["owner", "sub-admin", "guest"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** A client's request id: chosen by the client, unique among its own pending requests. */
export const RequestId = z.string().check(z.regex(/^[A-Za-z0-9._:-]{1,64}$/));
/** The relay's id for a forwarded request, unique within a Node. */
export const RelayId = z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER));
export const SessionId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));
export const DeviceId = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/));
const Version = z.number().check(z.int(), z.gte(0), z.lte(65535));
const ErrorCodeSchema = z.enum(ERROR_CODES);
const Message = z.string().check(z.maxLength(200));

export const Limits = z.object({
  maxMessageBytes: z.number().check(z.int()),
  maxPending: z.number().check(z.int()),
  maxPendingPerSession: z.number().check(z.int()),
  timeoutSec: z.number(),
  streamMaxSec: z.number(),
  windowBytes: z.number().check(z.int()),
  /** A stream's window (see "Flow control"); absent from relays that predate stream credit. */
  streamWindowBytes: z.optional(z.number().check(z.int())),
});
export type Limits = z.infer<typeof Limits>;

const Ping = z.object({ t: z.literal("ping") });
const Pong = z.object({ t: z.literal("pong") });

/** client → relay */
const Bytes = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

export const ClientFrame = z.discriminatedUnion("t", [
  // credit: this client grants stream credit (it sends `credit` frames); absent means it does not.
  // bin: it reads binary data frames and may send them (see "Framing").
  z.object({ t: z.literal("hello"), v: Version, credit: z.optional(z.boolean()), bin: z.optional(z.boolean()) }),
  z.object({ t: z.literal("req"), id: RequestId }),
  z.object({ t: z.literal("cancel"), id: RequestId }),
  z.object({ t: z.literal("ack"), bytes: Bytes }),
  z.object({ t: z.literal("credit"), id: RequestId, bytes: Bytes }),
  z.object({ t: z.literal("rotate") }),
  Ping,
]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** relay → client */
export const RelayToClientFrame = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("welcome"),
    v: Version,
    session: SessionId,
    device: DeviceId,
    role: Role,
    online: z.boolean(),
    limits: Limits,
    rotate: z.optional(z.boolean()),
    // The relay takes binary data frames from this session (it said bin): absent from older relays.
    bin: z.optional(z.boolean()),
  }),
  z.object({ t: z.literal("rotated"), credential: z.string().check(z.regex(/^ora_dev_[A-Za-z0-9_-]{40,120}$/)) }),
  z.object({ t: z.literal("res"), id: RequestId }),
  z.object({ t: z.literal("chunk"), id: RequestId }),
  z.object({ t: z.literal("end"), id: RequestId }),
  // `dup`: the refused request reused the id of one still pending (`id_in_use`). It is not `id`, so the
  // pending request keeps its one ending.
  z.object({ t: z.literal("err"), id: z.optional(RequestId), dup: z.optional(RequestId), code: ErrorCodeSchema, message: Message }),
  z.object({ t: z.literal("push") }),
  z.object({ t: z.literal("node"), online: z.boolean() }),
  Pong,
]);
export type RelayToClientFrame = z.infer<typeof RelayToClientFrame>;

/** `credit`: the session's client grants stream credit, so the agent waits for it (see "Flow control"). */
export const SessionInfo = z.object({ s: SessionId, dev: DeviceId, role: Role, credit: z.optional(z.boolean()) });
export type SessionInfo = z.infer<typeof SessionInfo>;

/** agent → relay */
export const AgentFrame = z.discriminatedUnion("t", [
  // credit: this agent honours stream credit, so the relay forwards the clients' credit frames.
  // bin: this agent reads binary data frames and may send them.
  z.object({
    t: z.literal("hello"),
    v: Version,
    agent: z.optional(z.string().check(z.maxLength(64))),
    credit: z.optional(z.boolean()),
    bin: z.optional(z.boolean()),
  }),
  z.object({ t: z.literal("res"), rid: RelayId }),
  z.object({ t: z.literal("chunk"), rid: RelayId }),
  z.object({ t: z.literal("end"), rid: RelayId }),
  z.object({ t: z.literal("push"), to: z.union([SessionId, z.literal("*")]) }),
  Ping,
]);
export type AgentFrame = z.infer<typeof AgentFrame>;

/**
 * The agent releases the relay's operator vouches for (ORA_AGENT_LATEST, ORA_AGENT_MINIMUM): in the
 * agent's welcome, and in the `upgrade_required` refusal of an agent older than the minimum.
 */
export const AgentReleases = z.object({ agentLatest: z.optional(AgentVersion), agentMinimum: z.optional(AgentVersion) });
export type AgentReleases = z.infer<typeof AgentReleases>;

/** relay → agent */
export const RelayToAgentFrame = z.discriminatedUnion("t", [
  z.object({
    t: z.literal("welcome"),
    v: Version,
    node: z.string(),
    limits: Limits,
    sessions: z.array(SessionInfo),
    // The relay takes binary data frames from this agent (it said bin): absent from older relays.
    bin: z.optional(z.boolean()),
    ...AgentReleases.shape,
  }),
  z.object({ t: z.literal("req"), rid: RelayId, s: SessionId, dev: DeviceId, role: Role }),
  z.object({ t: z.literal("cancel"), rid: RelayId, reason: z.enum(CANCEL_REASONS) }),
  z.object({ t: z.literal("credit"), rid: RelayId, bytes: Bytes }),
  z.extend(SessionInfo, { t: z.literal("session"), open: z.boolean() }),
  z.object({ t: z.literal("err"), rid: z.optional(RelayId), code: ErrorCodeSchema, message: Message, ...AgentReleases.shape }),
  Pong,
]);
export type RelayToAgentFrame = z.infer<typeof RelayToAgentFrame>;

/** The exact text of heartbeat frames, so the runtime can answer them without waking the relay. */
export const PING_FRAME = '{"t":"ping"}';
export const PONG_FRAME = '{"t":"pong"}';

export function encodeFrame(header: object, payload?: string): string {
  const head = JSON.stringify(header);
  return payload === undefined ? head : `${head}\n${payload}`;
}

export type Decoded<T> = { ok: true; header: T; payload: string | undefined } | { ok: false; message: string; id?: unknown };

/**
 * Reads a frame's header with `schema` and leaves the payload untouched. Never throws: every way a
 * frame can be wrong comes back as a message fit to send to the peer. `id` is the header's raw `id`
 * or `rid` when one could be read, so that an error can still point at the request.
 */
export function decodeFrame<T>(text: string, schema: z.ZodMiniType<T>): Decoded<T> {
  const newline = text.indexOf("\n");
  const headerEnd = newline === -1 ? text.length : newline;
  if (headerEnd > MAX_HEADER_CHARS) return { ok: false, message: `header longer than ${MAX_HEADER_CHARS} characters` };
  const read = readHeader(newline === -1 ? text : text.slice(0, newline), schema);
  if (!read.ok) return read;
  return { ok: true, header: read.header, payload: newline === -1 ? undefined : text.slice(newline + 1) };
}

/** The frame types that carry a payload: the only ones that may travel as binary frames. */
export const DATA_FRAME_TYPES: readonly string[] = ["req", "res", "chunk", "end", "push"];

/**
 * Peers that do not say `bin` in their hello send and receive data frames as text (the payload is the
 * base64url of the bytes a binary frame carries). Relays and agents accept that form until this
 * instant; the release after it may refuse it.
 */
export const TEXT_DATA_ACCEPTED_UNTIL = Date.parse("2027-06-01T00:00:00Z");

/** A binary frame starts with its header's length in bytes, big-endian. */
const HEADER_LENGTH_BYTES = 2;

/**
 * A binary data frame: [u16 big-endian header length][header JSON, UTF-8][payload bytes]. The payload
 * is copied once, into the frame; the relay's and the agents' headers are far below 64 KiB.
 */
export function encodeBinaryFrame(header: object, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const head = binaryFrameHead(header);
  const frame = new Uint8Array(head.length + payload.length);
  frame.set(head);
  frame.set(payload, head.length);
  return frame;
}

/**
 * What comes before a binary data frame's payload: [u16 header length][header JSON]. A sender that
 * seals with this much headroom (SecureChannel.sealBytes) writes it in front and sends one buffer.
 */
export function binaryFrameHead(header: object): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const head = new Uint8Array(HEADER_LENGTH_BYTES + json.length);
  head[0] = json.length >>> 8;
  head[1] = json.length & 0xff;
  head.set(json, HEADER_LENGTH_BYTES);
  return head;
}

export type DecodedBinary<T> = { ok: true; header: T; payload: Uint8Array } | { ok: false; message: string; id?: unknown };

/**
 * decodeFrame's twin for binary frames: the same header schema and the same answers for a bad header,
 * and the payload as a view of `bytes` (no copy). Never throws: a buffer too short for its header
 * length, a header length past the end, a header that is not UTF-8 or not JSON, an unknown type and a
 * control frame (which must be text) all come back as a message for a `bad_frame` answer.
 */
export function decodeBinaryFrame<T>(bytes: Uint8Array, schema: z.ZodMiniType<T>): DecodedBinary<T> {
  if (bytes.length < HEADER_LENGTH_BYTES) return { ok: false, message: "binary frame shorter than its header length" };
  const length = (bytes[0]! << 8) | bytes[1]!;
  if (length > MAX_HEADER_CHARS) return { ok: false, message: `header longer than ${MAX_HEADER_CHARS} bytes` };
  const end = HEADER_LENGTH_BYTES + length;
  if (end > bytes.length) return { ok: false, message: "header length past the end of the frame" };
  let text: string;
  try {
    text = strictDecoder.decode(bytes.subarray(HEADER_LENGTH_BYTES, end));
  } catch {
    return { ok: false, message: "header is not UTF-8" };
  }
  const read = readHeader(text, schema);
  if (!read.ok) return read;
  if (!DATA_FRAME_TYPES.includes((read.header as { t?: string }).t ?? "")) return { ok: false, message: "a control frame must be a text frame" };
  return { ok: true, header: read.header, payload: bytes.subarray(end) };
}

/**
 * A WebSocket message's bytes when it is binary (an ArrayBuffer, or a view such as Node's Buffer),
 * undefined when it is text.
 */
export function binaryMessage(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/** A header's JSON read with `schema`; every failure as a message (and the raw id, when there is one). */
function readHeader<T>(text: string, schema: z.ZodMiniType<T>): { ok: true; header: T } | { ok: false; message: string; id?: unknown } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: "header is not JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, message: "header is not a JSON object" };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const record = raw as Record<string, unknown>;
    const id = record.id ?? record.rid;
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
    const what = issue?.code === "invalid_union" && issue.path[0] === "t" ? "unknown frame type" : "invalid header";
    return { ok: false, message: `${what}${where}`, id };
  }
  return { ok: true, header: parsed.data };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the complement of ASCII, control characters included
const NON_ASCII = /[^\x00-\x7f]/;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 length of a string: what the relay meters and limits. Frames are almost always ASCII (JSON,
 * base64), which a native regex scan settles without copying; anything else is encoded (lone
 * surrogates count as U+FFFD, as on the wire).
 */
export function utf8Length(text: string): number {
  return NON_ASCII.test(text) ? encoder.encode(text).length : text.length;
}
