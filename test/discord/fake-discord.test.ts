/**
 * The fake Discord is only worth its tests if the real libraries accept it: these drive the real
 * @discordjs/core Client, @discordjs/rest and @discordjs/ws against it, the way the agent does.
 */
import { Client, type MappedEvents } from "@discordjs/core";
import { type DiscordAPIError, REST } from "@discordjs/rest";
import { WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ButtonStyle,
  ComponentType,
  GatewayDispatchEvents,
  GatewayIntentBits,
  type GatewayReadyDispatchData,
  InteractionType,
  MessageFlags,
} from "discord-api-types/v10";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type DiscordUser, type FakeDiscord, startFakeDiscord } from "../helpers/fake-discord.js";

const INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages | GatewayIntentBits.DirectMessages | GatewayIntentBits.MessageContent;
const GUILD = "710000000000000001";
const CHANNEL = "720000000000000001";
const alice: DiscordUser = { id: "740000000000000002", username: "alice" };
const button = (custom_id: string, label: string) => ({
  type: ComponentType.ActionRow as const,
  components: [{ type: ComponentType.Button as const, style: ButtonStyle.Primary as const, custom_id, label }],
});

type Bot = { client: Client; rest: REST; manager: WebSocketManager };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options?: Parameters<typeof startFakeDiscord>[0]): Promise<FakeDiscord> {
  const fake = await startFakeDiscord(options);
  cleanups.push(() => fake.close());
  return fake;
}
/** A bot as the agent builds one; `before` runs before connect(), to catch READY. */
async function connect(fake: FakeDiscord, before?: (bot: Bot) => void): Promise<Bot> {
  const rest = new REST({ version: "10", api: fake.api }).setToken(fake.token);
  const manager = new WebSocketManager({ token: fake.token, intents: INTENTS, rest });
  const bot = { client: new Client({ rest, gateway: manager }), rest, manager };
  cleanups.push(async () => void (await manager.destroy()));
  before?.(bot);
  await manager.connect();
  return bot;
}
type DataOf<E extends keyof MappedEvents> = MappedEvents[E][0]["data"];
/** The data of the next `event` the client emits for which match() holds (fails after 5 s). */
function next<E extends keyof MappedEvents>(client: Client, event: E, match?: (data: DataOf<E>) => boolean): Promise<DataOf<E>>;
// The untyped implementation: AsyncEventEmitter's listener types do not resolve for a generic event name.
function next(client: Client, event: string, match: (data: any) => boolean = () => true): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (client.off(event, listener), reject(new Error(`the client got no matching ${event} within 5 s`))), 5_000);
    const listener = ({ data }: { data: unknown }) => {
      if (!match(data)) return;
      clearTimeout(timer);
      client.off(event, listener);
      resolve(data);
    };
    client.on(event, listener);
  });
}

describe("the fake Discord, driven by the real @discordjs libraries", () => {
  it("connects: /gateway/bot gives the URL, HELLO, IDENTIFY with token and intents, READY with the session", async () => {
    const fake = await start();
    let ready: Promise<GatewayReadyDispatchData> | undefined;
    await connect(fake, ({ client }) => (ready = next(client, GatewayDispatchEvents.Ready)));
    const data = await ready!;
    expect(data).toMatchObject({ v: 10, user: { id: fake.bot.id, bot: true }, application: { id: fake.bot.id }, shard: [0, 1], guilds: [] });
    expect(data.session_id).toMatch(/^[0-9a-f]{32}$/);
    expect(data.resume_gateway_url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/resume$/);
    expect(fake.identifies).toEqual([{ intents: INTENTS, token: fake.token }]);
    expect(fake.requests[0]).toMatchObject({ method: "GET", path: "/gateway/bot", headers: { authorization: `Bot ${fake.token}` } });
    await fake.ready();
  });

  it("answers the client's heartbeats with HEARTBEAT_ACK", async () => {
    const fake = await start({ heartbeatIntervalMs: 100 });
    const { manager } = await connect(fake);
    const acked = () => new Promise((resolve) => manager.once(WebSocketShardEvents.HeartbeatComplete, resolve));
    await acked();
    await acked(); // a second one: a missed ACK would have made the client drop the connection as a zombie
    expect(fake.heartbeats).toBeGreaterThanOrEqual(2);
    expect(fake.identifies).toHaveLength(1);
  });

  it("delivers MESSAGE_CREATE to the client: in a server with the member's roles and the mention, in a DM without a member", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    const inGuild = next(client, GatewayDispatchEvents.MessageCreate);
    const id = fake.say({ author: alice, guild: GUILD, channel: CHANNEL, content: "hello", mentionsBot: true, roles: ["730000000000000001"] });
    expect(await inGuild).toMatchObject({
      id,
      guild_id: GUILD,
      channel_id: CHANNEL,
      content: `<@${fake.bot.id}> hello`,
      author: { id: alice.id, username: "alice" },
      mentions: [{ id: fake.bot.id }],
      member: { roles: ["730000000000000001"] },
    });
    const dm = fake.dmChannel(alice.id);
    const inDm = next(client, GatewayDispatchEvents.MessageCreate);
    fake.say({ author: alice, channel: dm, content: "psst" });
    const data = await inDm;
    expect(data).toMatchObject({ channel_id: dm, content: "psst", mentions: [] });
    expect(data.guild_id).toBeUndefined();
    expect(data.member).toBeUndefined();
  });

  it("lets the client send a reply with buttons, edit it, show typing and open a DM", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    const asked = fake.say({ author: alice, guild: GUILD, channel: CHANNEL, content: "hi", mentionsBot: true });
    const sent = await client.api.channels.createMessage(CHANNEL, {
      content: "Thinking…",
      components: [button("ora:stop", "Stop")],
      message_reference: { message_id: asked },
      allowed_mentions: { parse: [] },
    });
    expect(sent).toMatchObject({ channel_id: CHANNEL, author: { id: fake.bot.id }, content: "Thinking…", message_reference: { message_id: asked } });
    const edited = await client.api.channels.editMessage(CHANNEL, sent.id, { content: "Hello, alice.", components: [] });
    expect(edited.edited_timestamp).not.toBeNull();
    expect(fake.messages(CHANNEL)).toEqual([{ id: sent.id, channel: CHANNEL, content: "Hello, alice.", components: [], replyTo: asked, edits: 1 }]);
    expect((await fake.waitForMessage((m) => m.content.startsWith("Hello"))).id).toBe(sent.id);

    await client.api.channels.showTyping(CHANNEL); // a 204 the client must not try to parse
    expect(fake.typing(CHANNEL)).toBe(1);
    expect((await client.api.users.createDM(alice.id)).id).toBe(fake.dmChannel(alice.id));
    expect((await client.api.users.getCurrent()).id).toBe(fake.bot.id);
    expect((await client.api.oauth2.getCurrentBotApplicationInformation()).id).toBe(fake.bot.id);
  });

  it("answers mistakes as Discord does: unknown message, empty message, unknown route, wrong token", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => expect.fail("expected a DiscordAPIError"),
        (error: DiscordAPIError) => error,
      );
    expect(await failure(client.api.channels.editMessage(CHANNEL, "1", { content: "x" }))).toMatchObject({ status: 404, code: 10008 });
    expect(await failure(client.api.channels.createMessage(CHANNEL, {}))).toMatchObject({ status: 400, code: 50006 });
    expect(await failure(client.api.guilds.get(GUILD))).toMatchObject({ status: 404, code: 0, message: "404: Not Found" });
    const stranger = new REST({ version: "10", api: fake.api }).setToken("not-the-token");
    expect(await failure(stranger.get("/users/@me"))).toMatchObject({ status: 401, code: 0, message: "401: Unauthorized" });
    await expect(fake.waitForMessage(() => true, 50)).rejects.toThrow(/no message matched within 50 ms; sent:\n {2}\(nothing\)/);
  });

  it("makes @discordjs/rest wait out a 429 before it retries", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    fake.rateLimitNext(/^POST \/channels\/\d+\/messages$/, 300);
    await client.api.channels.createMessage(CHANNEL, { content: "after the limit" });
    const posts = fake.requests.filter((r) => r.method === "POST" && r.path === `/channels/${CHANNEL}/messages`);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(300);
    expect(fake.messages(CHANNEL).map((m) => m.content)).toEqual(["after the limit"]);
  });

  it("takes a RESUME after a dropped connection: replays what was missed, then RESUMED, and goes on", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    const seen: string[] = [];
    client.on(GatewayDispatchEvents.MessageCreate, ({ data }) => void seen.push(data.content));
    const first = next(client, GatewayDispatchEvents.MessageCreate, (d) => d.content === "before");
    fake.say({ author: alice, channel: fake.dmChannel(alice.id), content: "before" });
    await first;

    const resumedEvent = next(client, GatewayDispatchEvents.Resumed);
    const missed = next(client, GatewayDispatchEvents.MessageCreate, (d) => d.content === "while away");
    const resumed = fake.dropConnection();
    fake.say({ author: alice, channel: fake.dmChannel(alice.id), content: "while away" });
    await Promise.all([resumed, resumedEvent, missed]);
    expect(fake.resumes).toBe(1);
    expect(fake.identifies).toHaveLength(1);

    const after = next(client, GatewayDispatchEvents.MessageCreate, (d) => d.content === "after");
    fake.say({ author: alice, channel: fake.dmChannel(alice.id), content: "after" });
    await after;
    expect(seen).toEqual(["before", "while away", "after"]); // nothing replayed twice
  });

  it("delivers a button click, takes the UPDATE_MESSAGE answer once, and refuses a second answer with 40060", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    const message = await client.api.channels.createMessage(CHANNEL, { content: "Run files.write?", components: [button("ora:approve:a1", "Approve")] });
    const handled = new Map<string, Promise<unknown>>();
    client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api }) => {
      if (data.type !== InteractionType.MessageComponent || handled.has(data.id)) return;
      handled.set(data.id, api.interactions.updateMessage(data.id, data.token, { content: `Approved by ${data.member?.user.username}`, components: [] }));
    });

    const { answer, interaction } = await fake.click({
      user: alice,
      guild: GUILD,
      channel: CHANNEL,
      message: message.id,
      customId: "ora:approve:a1",
      roles: [],
    });
    expect(answer).toEqual({ type: 7, data: { content: "Approved by alice", components: [] } });
    expect(interaction).toMatchObject({ type: 3, data: { custom_id: "ora:approve:a1", component_type: 2 }, message: { id: message.id }, guild_id: GUILD });
    await handled.get(z.object({ id: z.string() }).parse(interaction).id);
    expect(fake.messages(CHANNEL)[0]).toMatchObject({ content: "Approved by alice", components: [], edits: 1 });

    expect(await fake.replay(interaction, 200)).toBeNull(); // this client remembers what it handled
    // One that forgets answers the same interaction again, and is refused.
    const refused = new Promise((resolve) => {
      client.on(
        GatewayDispatchEvents.InteractionCreate,
        ({ data, api }) => void api.interactions.reply(data.id, data.token, { content: "again" }).catch(resolve),
      );
    });
    expect(await fake.replay(interaction)).toEqual({ type: 4, data: { content: "again" } });
    expect(await refused).toMatchObject({ status: 400, code: 40060, message: "Interaction has already been acknowledged." });
  });

  it("delivers a slash command with string options; a deferred reply becomes the edited @original", async () => {
    const fake = await start();
    const { client } = await connect(fake);
    const [registered] = await client.api.applicationCommands.bulkOverwriteGlobalCommands(fake.bot.id, [
      { name: "ask", description: "Ask ORA", options: [{ type: ApplicationCommandOptionType.String, name: "question", description: "What", required: true }] },
    ]);
    expect(fake.commands).toMatchObject([{ name: "ask" }]);
    const handled: Array<Promise<unknown>> = [];
    client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api }) => {
      if (data.type !== InteractionType.ApplicationCommand || data.data.type !== ApplicationCommandType.ChatInput) return;
      const question = data.data.options?.find((o) => o.name === "question");
      const content = `You asked: ${question?.type === ApplicationCommandOptionType.String ? question.value : "?"}`;
      handled.push(
        (async () => {
          const deferred = await api.interactions.defer(data.id, data.token, { flags: MessageFlags.Ephemeral, with_response: true });
          await api.interactions.editReply(data.application_id, data.token, { content });
          return deferred;
        })(),
      );
    });

    const { answer, interaction } = await fake.command({ user: alice, channel: fake.dmChannel(alice.id), name: "ask", options: { question: "why?" } });
    expect(answer).toEqual({ type: 5, data: { flags: MessageFlags.Ephemeral } });
    expect(interaction).toMatchObject({
      type: 2,
      data: { id: registered!.id, name: "ask", options: [{ name: "question", type: 3, value: "why?" }] },
      user: { id: alice.id },
    });
    // with_response=true: the callback response names the "thinking…" message.
    expect(await handled[0]).toMatchObject({ interaction: { response_message_loading: true, response_message_ephemeral: true }, resource: { type: 5 } });
    const reply = await fake.waitForMessage((m) => m.content === "You asked: why?");
    expect(reply).toMatchObject({ channel: fake.dmChannel(alice.id), flags: MessageFlags.Ephemeral, edits: 1 });
  });
});
