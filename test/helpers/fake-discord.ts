/**
 * A fake Discord on 127.0.0.1 that speaks the real wire formats, so the real @discordjs/core, rest and ws
 * can be pointed at it: `new REST({ version: "10", api: fake.api }).setToken(fake.token)`, and the
 * WebSocketManager finds the gateway through GET /gateway/bot.
 *
 * REST, under /api/v10, JSON both ways. Every route wants "Authorization: Bot <token>" (else 401
 * {code: 0, message: "401: Unauthorized"}) except the interaction and webhook routes, which Discord
 * authenticates by the interaction token (@discordjs/core sends those with `auth: false`).
 *   GET   /gateway/bot                        {url: ws://…/gateway, shards: 1, session_start_limit}
 *   GET   /users/@me                          the bot user
 *   GET   /oauth2/applications/@me, /applications/@me     {id (= the bot's id), name, bot_public, flags…}
 *   PUT   /applications/:app/commands         replaces `commands`, echoed with ids (stable per name)
 *   POST  /channels/:id/messages              a message object; 400 50006 when empty, 50035 past 2000 chars
 *   PATCH /channels/:id/messages/:id          the fields present replace; 404 10008 for an unknown message
 *   POST  /channels/:id/typing                204
 *   POST  /users/@me/channels {recipient_id}  the DM channel, the same id every time
 *   POST  /interactions/:id/:token/callback   204 (200 and the callback response with ?with_response=true);
 *         a second one → 400 40060, an unknown id or token → 404 10062. Type 4 posts a message in the
 *         channel, 5 a "thinking" one (flag LOADING), 7 edits the clicked message: these are then @original.
 *   PATCH /webhooks/:app/:token/messages/@original   edits it (and clears LOADING); 404 10008 if none
 *   anything else: 404 {code: 0, message: "404: Not Found"}
 * A 204 carries no content-type: @discordjs/rest parses any application/json body and throws on an empty one.
 * rateLimitNext() answers one request 429 with Retry-After in fractional seconds (rest reads the header,
 * not the body's retry_after) and x-ratelimit-remaining 0 / reset-after, as Discord does for a bucket.
 *
 * Gateway, ws://127.0.0.1:P/gateway?v=10&encoding=json, plain JSON text frames (another v: close 4012;
 * another encoding, or compress: close 4002, as this fake neither speaks ETF nor deflates):
 *   server  HELLO op 10 {heartbeat_interval}
 *   client  HEARTBEAT op 1, at any time          → HEARTBEAT_ACK op 11
 *   client  IDENTIFY op 2 {token, intents, shard} → READY op 0 {v, user, guilds: [], session_id,
 *                                                   resume_gateway_url (ws://…/resume), shard, application}
 *   client  RESUME op 6 {token, session_id, seq}  → every dispatch after seq, then RESUMED;
 *                                                   an unknown session → INVALID_SESSION op 9 false
 *   a wrong token → close 4004, IDENTIFY twice → 4005, another op before IDENTIFY → 4003.
 * Dispatches carry the session's next `s`. A session outlives its socket unless the client closes with 1000
 * or 1001 (what `manager.destroy()` sends), so what is dispatched while it is away is replayed on RESUME.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type APIChatInputApplicationCommandInteraction,
  type APIDMChannel,
  type APIGatewayBotInfo,
  type APIGuildMemberNoUser,
  type APIInteraction,
  type APIMessage,
  type APIMessageComponentInteraction,
  type APIMessageTopLevelComponent,
  type APIUser,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationFlags,
  ApplicationIntegrationType,
  ChannelType,
  ComponentType,
  GatewayCloseCodes,
  GatewayDispatchEvents,
  type GatewayDispatchPayload,
  GatewayOpcodes,
  type GatewayReceivePayload,
  InteractionContextType,
  InteractionResponseType,
  InteractionType,
  Locale,
  MessageFlags,
  MessageType,
  type RESTPostAPIInteractionCallbackWithResponseResult,
} from "discord-api-types/v10";
import { type WebSocket, WebSocketServer } from "ws";
import { z } from "zod";

export interface DiscordUser {
  id: string;
  username: string;
  bot?: boolean;
}
export interface SentMessage {
  id: string;
  channel: string;
  content: string;
  components: unknown[];
  /** message_reference.message_id when it is a reply */
  replyTo?: string;
  edits: number;
  flags?: number;
}
export interface InteractionAnswer {
  type: number;
  data?: { content?: string; flags?: number; components?: unknown[] };
}
export interface FakeRequest {
  method: string;
  /** path after /api/v10, e.g. "/channels/1/messages" */
  path: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}
type Who = { user: DiscordUser; channel: string; guild?: string; roles?: string[] };
type Answered = Promise<{ answer: InteractionAnswer; interaction: unknown }>;
export interface FakeDiscord {
  /** For `new REST({ api })` and the agent's ORA_DISCORD_API: "http://127.0.0.1:PORT/api" */
  api: string;
  /** The one token the fake accepts ("Authorization: Bot <token>"); any other → 401 {code:0,message:"401: Unauthorized"}. */
  token: string;
  /** The bot's own user; its id is also the application id. */
  bot: DiscordUser;
  requests: FakeRequest[];
  /** IDENTIFY payloads received (intents, token…), and RESUME count. */
  identifies: Array<{ intents: number; token: string }>;
  resumes: number;
  /** HEARTBEATs (op 1) received, each answered with op 11. */
  heartbeats: number;
  /** Application commands set with PUT /applications/:app/commands (the latest body). */
  commands: unknown[];
  /** Resolves once a client has identified (or resumed) and is READY; resolves at once if one is. */
  ready(): Promise<void>;
  /** Messages the bot created in a channel, in order, with their current content (PATCH edits replace). */
  messages(channel: string): SentMessage[];
  /** Resolves with the first sent/edited message for which match() holds, checked now and after every REST write; rejects after ms (default 10_000) with a message listing what was sent. */
  waitForMessage(match: (m: SentMessage) => boolean, ms?: number): Promise<SentMessage>;
  /** Resolves with the first REST request (already received, or the next ones) for which match() holds; rejects after ms (default 10_000). */
  waitForRequest(match: (r: FakeRequest) => boolean, ms?: number): Promise<FakeRequest>;
  /** How many POST /channels/:id/typing the channel got. */
  typing(channel: string): number;
  /** The DM channel id for a user (POST /users/@me/channels {recipient_id} creates it, same id each time). */
  dmChannel(userId: string): string;
  /** Dispatches MESSAGE_CREATE as if `author` wrote `content`; guild undefined = a DM. mentionsBot adds the bot to `mentions` and prefixes "<@botid> " to content. roles: the member's role ids (member object only in guilds). Returns the message id. */
  say(options: { author: DiscordUser; channel: string; guild?: string; content: string; mentionsBot?: boolean; roles?: string[] }): string;
  /** Dispatches INTERACTION_CREATE type 3 (button) with a fresh id/token; resolves with what the client POSTed to the interaction's callback (rejects after ms). `interaction` is the full payload sent, for replaying. */
  click(options: Who & { message: string; customId: string }, ms?: number): Answered;
  /** Same for type 2 (slash command) with string options. */
  command(options: Who & { name: string; options?: Record<string, string> }, ms?: number): Answered;
  /** Sends an INTERACTION_CREATE payload again, exactly as before (same id and token); resolves with the answer if one is POSTed within ms (default 1_000), or null if none is. */
  replay(interaction: unknown, ms?: number): Promise<InteractionAnswer | null>;
  /** Closes the gateway socket abruptly (as a network drop); the client is expected to RESUME. Resolves once it has resumed. */
  dropConnection(): Promise<void>;
  /** The next REST request whose "METHOD path" matches `route` (e.g. /^POST \/channels\/\d+\/messages$/) gets 429 with retry_after (seconds, JSON body {message, retry_after, global:false}) and the headers @discordjs/rest reads (retry-after, x-ratelimit-*). */
  rateLimitNext(route: RegExp, retryAfterMs: number): void;
  close(): Promise<void>;
}

const Component = z.custom<APIMessageTopLevelComponent>((v) => typeof v === "object" && v !== null && "type" in v, "a component needs a type");
const NewMessage = z.looseObject({
  content: z.string().optional(),
  components: z.array(Component).optional(),
  embeds: z.array(z.unknown()).optional(),
  flags: z.number().int().optional(),
  message_reference: z.looseObject({ message_id: z.string() }).optional(),
});
const MessageEdit = z.looseObject({ content: z.string().nullish(), components: z.array(Component).nullish(), flags: z.number().int().nullish() });
const Callback = z.looseObject({ type: z.number().int(), data: NewMessage.optional() });
const Commands = z.array(z.looseObject({ name: z.string() }));
const Recipient = z.object({ recipient_id: z.string() });
const WithId = z.object({ id: z.string() });
const Frame = z.looseObject({ op: z.number().int(), d: z.unknown() });
const Identify = z.looseObject({ token: z.string(), intents: z.number().int(), shard: z.tuple([z.number(), z.number()]).optional() });
const Resume = z.looseObject({ token: z.string(), session_id: z.string(), seq: z.number().int().nullable() });

/** Snowflakes as Discord makes them (ms since 2015-01-01, shifted 22 bits), kept unique by counting up. */
let lastId = 0n;
const nextId = (): string => {
  const fromClock = (BigInt(Date.now()) - 1_420_070_400_000n) << 22n;
  lastId = fromClock > lastId ? fromClock : lastId + 1n;
  return lastId.toString();
};
const now = () => new Date().toISOString();
const apiUser = (u: DiscordUser): APIUser => ({ id: u.id, username: u.username, discriminator: "0", global_name: null, avatar: null, bot: u.bot });
/** Discord's `flags: 0`, typed as a plain number: the flag enums have no member for "none". */
const NO_FLAGS: number = 0;
const member = (roles: string[]): APIGuildMemberNoUser => ({ roles, joined_at: "2025-01-01T00:00:00.000Z", deaf: false, mute: false, flags: NO_FLAGS });
/** A message object as Discord sends it; `extra` adds or overrides fields. */
const message = (id: string, channel: string, author: DiscordUser, content: string, extra: Partial<APIMessage> = {}): APIMessage => {
  const base = { id, channel_id: channel, author: apiUser(author), content, timestamp: now(), edited_timestamp: null, type: MessageType.Default };
  const unremarkable = { tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false };
  return { ...base, ...unremarkable, ...extra };
};
/** What a bot with the usual permissions gets in app_permissions / member.permissions. */
const PERMISSIONS = "2248473465835073";

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
const fail = (status: number, code: number, message: string): Reply => ({ status, body: { code, message } });
const ok = (body: unknown): Reply => ({ status: 200, body });
const NO_CONTENT: Reply = { status: 204 };
const INVALID_FORM = fail(400, 50035, "Invalid Form Body");
const UNKNOWN_MESSAGE = fail(404, 10008, "Unknown Message");

/** A dispatch before it gets its sequence number. */
type Event = GatewayDispatchPayload extends infer P ? (P extends GatewayDispatchPayload ? Pick<P, "t" | "d"> : never) : never;
interface Session {
  id: string;
  seq: number;
  /** Every dispatch of the session, for replay on RESUME. */
  log: GatewayDispatchPayload[];
  socket?: WebSocket;
}
type Stored = { message: APIMessage; edits: number };
interface Pending {
  payload: APIInteraction;
  answered: boolean;
  /** The message PATCH …/@original edits. */
  original?: string;
  listeners: Set<(answer: InteractionAnswer) => void>;
}
const sentOf = ({ message: m, edits }: Stored): SentMessage => ({
  id: m.id,
  channel: m.channel_id,
  content: m.content,
  components: structuredClone(m.components ?? []),
  ...(m.message_reference?.message_id ? { replyTo: m.message_reference.message_id } : {}),
  edits,
  ...(m.flags ? { flags: m.flags } : {}),
});

export async function startFakeDiscord(options: { token?: string; heartbeatIntervalMs?: number } = {}): Promise<FakeDiscord> {
  const bot: DiscordUser = { id: nextId(), username: "ora-test-bot", bot: true };
  // The shape of a real bot token: the bot's id in base64, a timestamp part, an HMAC part.
  const token = options.token ?? [Buffer.from(bot.id), randomBytes(4), randomBytes(27)].map((b) => b.toString("base64url")).join(".");
  const flags = ApplicationFlags.GatewayMessageContentLimited;
  const application = { id: bot.id, name: "ORA test", icon: null, description: "", bot_public: false, bot_require_code_grant: false, flags, bot: apiUser(bot) };
  const sessions = new Map<string, Session>();
  const stored = new Map<string, Stored>();
  const interactions = new Map<string, Pending>();
  const typing = new Map<string, number>();
  const dms = new Map<string, string>();
  const commandIds = new Map<string, string>();
  const rateLimits: Array<{ route: RegExp; ms: number }> = [];
  const timers = new Set<NodeJS.Timeout>();
  const onWrite = new Set<(s: Stored) => void>();
  const onRequest = new Set<(r: FakeRequest) => void>();
  let onReady: Array<() => void> = [];
  let onResume: Array<() => void> = [];

  /** Runs `run` after ms unless cancelled; close() cancels them all. */
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => (timers.delete(timer), run()), ms);
    timers.add(timer);
    return () => (clearTimeout(timer), timers.delete(timer));
  };
  const settle = (waiters: Array<() => void>) => {
    for (const resolve of waiters) resolve();
    return [];
  };
  const idFor = (map: Map<string, string>, key: string) => map.get(key) ?? (map.set(key, nextId()), map.get(key)!);

  // REST: messages
  const store = (channel: string, extra: Partial<APIMessage>): Stored => {
    const s = { message: message(nextId(), channel, bot, "", extra), edits: 0 };
    stored.set(s.message.id, s);
    for (const waiter of [...onWrite]) waiter(s);
    return s;
  };
  const edit = (s: Stored, e: z.infer<typeof MessageEdit>) => {
    const m = s.message;
    if (e.content !== undefined) m.content = e.content ?? "";
    if (e.components !== undefined) m.components = e.components ?? [];
    m.flags = (e.flags ?? m.flags ?? 0) & ~MessageFlags.Loading; // an edit ends a deferred reply's "thinking…"
    m.edited_timestamp = now();
    s.edits++;
    for (const waiter of [...onWrite]) waiter(s);
    return ok(m);
  };
  function createMessage(channel: string, _: string, body: unknown): Reply {
    const m = NewMessage.safeParse(body);
    if (!m.success) return INVALID_FORM;
    const { content = "", components = [], embeds = [], flags, message_reference: ref } = m.data;
    if (!content && !components.length && !embeds.length) return fail(400, 50006, "Cannot send an empty message");
    if (content.length > 2000) return fail(400, 50035, "Invalid Form Body: content: Must be 2000 or fewer in length.");
    const reply = ref ? { type: MessageType.Reply, message_reference: { message_id: ref.message_id, channel_id: channel } } : {};
    return ok(store(channel, { content, components, flags: flags ?? NO_FLAGS, ...reply }).message);
  }
  function editMessage(channel: string, id: string, body: unknown): Reply {
    const target = stored.get(id);
    const e = MessageEdit.safeParse(body);
    if (!target || target.message.channel_id !== channel) return UNKNOWN_MESSAGE;
    return e.success ? edit(target, e.data) : INVALID_FORM;
  }
  function putCommands(app: string, _: string, body: unknown): Reply {
    const list = Commands.safeParse(body);
    if (app !== bot.id) return fail(403, 50001, "Missing Access");
    if (!list.success) return INVALID_FORM;
    fake.commands = list.data;
    const echo = (c: { name: string }) => ({ type: 1, description: "", ...c, id: idFor(commandIds, c.name), application_id: bot.id, version: nextId() });
    return ok(list.data.map(echo));
  }
  function openDM(_a: string, _b: string, body: unknown): Reply {
    const to = Recipient.safeParse(body);
    if (!to.success) return INVALID_FORM;
    const recipient = apiUser({ id: to.data.recipient_id, username: `user${to.data.recipient_id}` });
    const channel: APIDMChannel = { id: dmChannel(recipient.id), type: ChannelType.DM, name: null, last_message_id: null, recipients: [recipient] };
    return ok(channel);
  }
  const dmChannel = (userId: string) => idFor(dms, userId);

  // REST: interactions
  function callback(id: string, interactionToken: string, body: unknown, query: URLSearchParams): Reply {
    const pending = interactions.get(id);
    if (!pending || pending.payload.token !== interactionToken) return fail(404, 10062, "Unknown interaction");
    const parsed = Callback.safeParse(body);
    if (!parsed.success) return INVALID_FORM;
    for (const listener of [...pending.listeners]) listener(parsed.data);
    if (pending.answered) return fail(400, 40060, "Interaction has already been acknowledged.");
    pending.answered = true;
    const { type, data = {} } = parsed.data;
    const R = InteractionResponseType;
    if (type === R.ChannelMessageWithSource || type === R.DeferredChannelMessageWithSource) {
      const flags = (data.flags ?? 0) | (type === R.DeferredChannelMessageWithSource ? MessageFlags.Loading : 0);
      pending.original = store(pending.payload.channel?.id ?? "", { content: data.content ?? "", components: data.components ?? [], flags }).message.id;
    } else if ((type === R.UpdateMessage || type === R.DeferredMessageUpdate) && pending.payload.type === InteractionType.MessageComponent) {
      pending.original = pending.payload.message.id;
      const clicked = stored.get(pending.original);
      if (type === R.UpdateMessage && clicked) edit(clicked, data);
    }
    if (query.get("with_response") !== "true") return NO_CONTENT;
    const original = pending.original ? stored.get(pending.original)?.message : undefined;
    const result: RESTPostAPIInteractionCallbackWithResponseResult = {
      interaction: {
        id,
        type: pending.payload.type,
        ...(original ? { response_message_id: original.id } : {}),
        response_message_loading: type === R.DeferredChannelMessageWithSource,
        response_message_ephemeral: ((data.flags ?? 0) & MessageFlags.Ephemeral) !== 0,
      },
      resource: { type, ...(original ? { message: original } : {}) },
    };
    return ok(result);
  }
  function editOriginal(app: string, interactionToken: string, body: unknown): Reply {
    if (app !== bot.id) return fail(404, 10015, "Unknown Webhook");
    const pending = [...interactions.values()].find((p) => p.payload.token === interactionToken);
    const target = pending?.original ? stored.get(pending.original) : undefined;
    const e = MessageEdit.safeParse(body);
    if (!target) return UNKNOWN_MESSAGE;
    return e.success ? edit(target, e.data) : INVALID_FORM;
  }

  type Handler = (a: string, b: string, body: unknown, query: URLSearchParams) => Reply;
  /** open: no bot token needed (Discord checks the interaction token in the path instead). */
  const routes: Array<[method: string, path: RegExp, handle: Handler, open?: "open"]> = [
    ["GET", /^\/gateway\/bot$/, () => ok(gatewayBot)],
    ["GET", /^\/users\/@me$/, () => ok(apiUser(bot))],
    ["GET", /^\/(?:oauth2\/)?applications\/@me$/, () => ok(application)],
    ["PUT", /^\/applications\/(\d+)\/commands$/, putCommands],
    ["POST", /^\/channels\/(\d+)\/messages$/, createMessage],
    ["PATCH", /^\/channels\/(\d+)\/messages\/(\d+)$/, editMessage],
    ["POST", /^\/channels\/(\d+)\/typing$/, (channel) => (typing.set(channel, (typing.get(channel) ?? 0) + 1), NO_CONTENT)],
    ["POST", /^\/users\/@me\/channels$/, openDM],
    ["POST", /^\/interactions\/(\d+)\/([^/]+)\/callback$/, callback, "open"],
    ["PATCH", /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/, editOriginal, "open"],
  ];
  function answer(method: string, path: string, body: unknown, query: URLSearchParams, auth: string | undefined): Reply {
    const limited = rateLimits.findIndex((r) => r.route.test(`${method} ${path}`));
    if (limited >= 0) {
      const s = rateLimits.splice(limited, 1)[0]!.ms / 1000;
      const headers = { "retry-after": `${s}`, "x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": `${Date.now() / 1000 + s}` };
      const bucket = { "x-ratelimit-reset-after": `${s}`, "x-ratelimit-bucket": "f4k3b0c4e7", "x-ratelimit-scope": "user" };
      return { status: 429, body: { message: "You are being rate limited.", retry_after: s, global: false }, headers: { ...headers, ...bucket } };
    }
    for (const [m, pattern, handle, open] of routes) {
      const match = m === method ? pattern.exec(path) : null;
      if (!match) continue;
      if (!open && auth !== `Bot ${token}`) return fail(401, 0, "401: Unauthorized");
      const [a = "", b = ""] = match.slice(1);
      return handle(a, b, body, query);
    }
    return fail(404, 0, "404: Not Found");
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: unknown = raw || undefined;
    let reply: Reply | undefined;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      reply = fail(400, 50109, "The request body contains invalid JSON.");
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    // @discordjs/rest percent-encodes route segments: "@original" arrives as "%40original".
    const pathname = url.pathname.replaceAll("%40", "@");
    const path = pathname.startsWith("/api/v10/") ? pathname.slice("/api/v10".length) : undefined;
    if (path) {
      const request = { method, path, body, headers: req.headers, at: Date.now() };
      fake.requests.push(request);
      for (const waiter of [...onRequest]) waiter(request);
    }
    reply ??= path ? answer(method, path, body, url.searchParams, req.headers.authorization) : fail(404, 0, "404: Not Found");
    if (reply.status === 204) res.writeHead(204, reply.headers).end();
    else res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers }).end(JSON.stringify(reply.body));
  });

  // Gateway
  function dispatch(session: Session, event: Event) {
    const payload: GatewayDispatchPayload = { op: GatewayOpcodes.Dispatch, s: ++session.seq, ...event };
    session.log.push(payload);
    session.socket?.send(JSON.stringify(payload));
  }
  function broadcast(event: Event) {
    if (sessions.size === 0) throw new Error("fake Discord: no gateway session yet (await fake.ready() first)");
    for (const session of sessions.values()) dispatch(session, event);
  }
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/gateway" && url.pathname !== "/resume") return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => gateway(ws, url.searchParams));
  });

  function gateway(ws: WebSocket, query: URLSearchParams) {
    const send = (payload: GatewayReceivePayload) => ws.send(JSON.stringify(payload));
    const undecodable = () => ws.close(GatewayCloseCodes.DecodeError, "Error while decoding payload.");
    if (query.get("v") !== "10") return ws.close(GatewayCloseCodes.InvalidAPIVersion, "Invalid API version");
    if (query.get("encoding") !== "json" || query.has("compress")) return ws.close(GatewayCloseCodes.DecodeError, "fake Discord sends plain JSON only");
    send({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: options.heartbeatIntervalMs ?? 41_250 }, s: null, t: null });
    let session: Session | undefined;
    ws.on("message", (data, isBinary) => {
      let frame: z.ZodSafeParseResult<z.infer<typeof Frame>> | undefined;
      try {
        frame = isBinary ? undefined : Frame.safeParse(JSON.parse(data.toString()));
      } catch {}
      if (!frame?.success) return undecodable();
      const { op, d } = frame.data;
      if (op === GatewayOpcodes.Heartbeat) {
        fake.heartbeats++;
        return send({ op: GatewayOpcodes.HeartbeatAck, d: undefined, s: null, t: null });
      }
      /** IDENTIFY and RESUME: the payload if it may go on, after closing the socket if not. */
      const authenticated = <T extends { token: string }>(parsed: z.ZodSafeParseResult<T>): T | undefined => {
        if (session) ws.close(GatewayCloseCodes.AlreadyAuthenticated, "Already authenticated.");
        else if (!parsed.success) undecodable();
        else if (parsed.data.token !== token) ws.close(GatewayCloseCodes.AuthenticationFailed, "Authentication failed.");
        else return parsed.data;
      };
      if (op === GatewayOpcodes.Identify) {
        const identify = authenticated(Identify.safeParse(d));
        if (!identify) return;
        fake.identifies.push({ intents: identify.intents, token: identify.token });
        session = { id: randomBytes(16).toString("hex"), seq: 0, log: [], socket: ws };
        sessions.set(session.id, session);
        const ready = { v: 10, user: apiUser(bot), guilds: [], session_id: session.id, resume_gateway_url: `ws://127.0.0.1:${port}/resume` };
        const app = { id: bot.id, flags, flags_new: `${flags}` };
        dispatch(session, { t: GatewayDispatchEvents.Ready, d: { ...ready, shard: identify.shard ?? [0, 1], application: app } });
        onReady = settle(onReady);
      } else if (op === GatewayOpcodes.Resume) {
        const resume = authenticated(Resume.safeParse(d));
        if (!resume) return;
        const found = sessions.get(resume.session_id);
        if (!found) return send({ op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
        found.socket?.terminate();
        found.socket = ws;
        session = found;
        for (const missed of found.log) if (missed.s > (resume.seq ?? 0)) ws.send(JSON.stringify(missed));
        fake.resumes++;
        dispatch(found, { t: GatewayDispatchEvents.Resumed, d: undefined });
        onReady = settle(onReady);
        onResume = settle(onResume);
      } else if (!session) {
        ws.close(GatewayCloseCodes.NotAuthenticated, "Not authenticated.");
      }
      // Once identified, anything else (presence updates, member requests…) is accepted and ignored.
    });
    ws.on("close", (code) => {
      if (session?.socket !== ws) return;
      session.socket = undefined;
      if (code === 1000 || code === 1001) sessions.delete(session.id);
    });
  }

  // Interactions, from the user's side
  /** Resolves with the next callback POSTed for `pending`, or null after ms. */
  function nextAnswer(pending: Pending, ms: number): Promise<InteractionAnswer | null> {
    return new Promise((resolve) => {
      const done = (answer: InteractionAnswer | null) => {
        pending.listeners.delete(done);
        cancel();
        resolve(answer);
      };
      const cancel = later(ms, () => done(null));
      pending.listeners.add(done);
    });
  }
  async function deliver(payload: APIInteraction, what: string, ms = 10_000) {
    const pending: Pending = { payload, answered: false, listeners: new Set() };
    interactions.set(payload.id, pending);
    const answer = nextAnswer(pending, ms);
    broadcast({ t: GatewayDispatchEvents.InteractionCreate, d: payload });
    const got = await answer;
    if (!got) throw new Error(`fake Discord: nothing answered ${what} (interaction ${payload.id}) within ${ms} ms`);
    return { answer: got, interaction: payload };
  }
  function interactionBase({ user, channel, guild, roles = [] }: Who) {
    const where = guild
      ? { guild_id: guild, guild_locale: Locale.EnglishUS, member: { ...member(roles), user: apiUser(user), permissions: PERMISSIONS } }
      : { user: apiUser(user) };
    const owners = guild ? { [ApplicationIntegrationType.GuildInstall]: guild } : { [ApplicationIntegrationType.UserInstall]: user.id };
    return {
      id: nextId(),
      application_id: bot.id,
      token: `aW50ZXJhY3Rpb246${randomBytes(60).toString("base64url")}`, // "interaction:" in base64, then random
      version: 1 as const,
      app_permissions: PERMISSIONS,
      locale: Locale.EnglishUS,
      entitlements: [],
      attachment_size_limit: 10_485_760,
      authorizing_integration_owners: owners,
      context: guild ? InteractionContextType.Guild : InteractionContextType.BotDM,
      channel_id: channel,
      channel: guild ? { id: channel, type: ChannelType.GuildText as const } : { id: channel, type: ChannelType.DM as const },
      ...where,
    };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const session_start_limit = { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 };
  const gatewayBot: APIGatewayBotInfo = { url: `ws://127.0.0.1:${port}/gateway`, shards: 1, session_start_limit };

  const fake: FakeDiscord = {
    api: `http://127.0.0.1:${port}/api`,
    token,
    bot,
    requests: [],
    identifies: [],
    resumes: 0,
    heartbeats: 0,
    commands: [],
    ready: () => ([...sessions.values()].some((s) => s.socket) ? Promise.resolve() : new Promise((resolve) => onReady.push(resolve))),
    messages: (channel) => [...stored.values()].filter((s) => s.message.channel_id === channel).map(sentOf),
    waitForMessage(match, ms = 10_000) {
      const already = [...stored.values()].map(sentOf).find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = (s: Stored) => {
          if (!match(sentOf(s))) return;
          onWrite.delete(waiter);
          cancel();
          resolve(sentOf(s));
        };
        const cancel = later(ms, () => {
          onWrite.delete(waiter);
          const sent = [...stored.values()].map(({ message: m, edits }) => `  #${m.channel_id} ${JSON.stringify(m.content)} (${edits} edits)`);
          reject(new Error(`fake Discord: no message matched within ${ms} ms; sent:\n${sent.join("\n") || "  (nothing)"}`));
        });
        onWrite.add(waiter);
      });
    },
    waitForRequest(match, ms = 10_000) {
      const already = fake.requests.find(match);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = (r: FakeRequest) => {
          if (!match(r)) return;
          onRequest.delete(waiter);
          cancel();
          resolve(r);
        };
        const cancel = later(ms, () => {
          onRequest.delete(waiter);
          reject(new Error(`fake Discord: no request matched within ${ms} ms; got ${fake.requests.map((r) => `${r.method} ${r.path}`).join(", ")}`));
        });
        onRequest.add(waiter);
      });
    },
    typing: (channel) => typing.get(channel) ?? 0,
    dmChannel,
    say({ author, channel, guild, content, mentionsBot, roles = [] }) {
      const id = nextId();
      const mention = mentionsBot ? { content: `<@${bot.id}> ${content}`, mentions: [apiUser(bot)] } : {};
      const where = guild ? { guild_id: guild, member: member(roles) } : {};
      broadcast({
        t: GatewayDispatchEvents.MessageCreate,
        d: { ...message(id, channel, author, content, { flags: NO_FLAGS, components: [] }), ...mention, ...where },
      });
      return id;
    },
    click(o, ms) {
      // A copy: the payload stays as it was sent, for replay(), whatever edits the message gets later.
      const clicked = structuredClone(stored.get(o.message)?.message) ?? message(o.message, o.channel, bot, "");
      const data = { custom_id: o.customId, component_type: ComponentType.Button as const };
      const payload: APIMessageComponentInteraction = { ...interactionBase(o), type: InteractionType.MessageComponent, data, message: clicked };
      return deliver(payload, `the click on ${o.customId}`, ms);
    },
    command(o, ms) {
      const options = Object.entries(o.options ?? {}).map(([name, value]) => ({ name, type: ApplicationCommandOptionType.String as const, value }));
      const data = {
        id: idFor(commandIds, o.name),
        name: o.name,
        type: ApplicationCommandType.ChatInput as const,
        options,
        ...(o.guild ? { guild_id: o.guild } : {}),
      };
      const payload: APIChatInputApplicationCommandInteraction = { ...interactionBase(o), type: InteractionType.ApplicationCommand, data };
      return deliver(payload, `the command /${o.name}`, ms);
    },
    async replay(interaction, ms = 1_000) {
      const id = WithId.safeParse(interaction);
      const pending = id.success ? interactions.get(id.data.id) : undefined;
      if (!pending) throw new Error("fake Discord: replay() takes an `interaction` that click() or command() returned");
      const answer = nextAnswer(pending, ms);
      broadcast({ t: GatewayDispatchEvents.InteractionCreate, d: pending.payload });
      return answer;
    },
    dropConnection() {
      const live = [...sessions.values()].filter((s) => s.socket);
      if (live.length === 0) return Promise.reject(new Error("fake Discord: no live gateway connection to drop"));
      const resumed = new Promise<void>((resolve, reject) => {
        const cancel = later(10_000, () => reject(new Error(`fake Discord: no RESUME within 10 s of the drop (identifies: ${fake.identifies.length})`)));
        onResume.push(() => (cancel(), resolve()));
      });
      for (const session of live) {
        session.socket?.terminate();
        session.socket = undefined;
      }
      return resumed;
    },
    rateLimitNext: (route, ms) => void rateLimits.push({ route, ms }),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
  return fake;
}
