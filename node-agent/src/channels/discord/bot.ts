/**
 * The Discord channel at work: one outbound gateway connection (the PC opens no port, and the relay
 * never sees Discord traffic), messages turned into `chat` requests through the handler registry, the
 * answer streamed back by editing the reply, approvals in the owner's DMs, and outcomes told in the
 * channel that asked. Loaded only when Discord is configured (index.ts imports it lazily).
 */
import { type API, Client, type GatewayInteractionCreateDispatchData, type GatewayMessageCreateDispatchData } from "@discordjs/core";
import { REST } from "@discordjs/rest";
import { WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import { GatewayDispatchEvents, GatewayIntentBits, InteractionType, MessageFlags } from "discord-api-types/v10";
import type { Approval, ChatChunk, Result, Task } from "@ora/protocol";
import type { CommandLine } from "../channel.js";
import type { HandlerRegistry } from "../../handlers.js";
import type { Logger } from "../../log.js";
import { isFinal, type Requester, type Safety } from "../../safety/index.js";
import { RateLimiter } from "../../safety/rate-limit.js";
import type { Resumed } from "../../secretary/resume.js";
import { type Channel, type ChannelStatus, converse } from "../channel.js";
import { approvalMessage, decideFromDiscord, dmsOwner, readButton, SLASH_COMMANDS, settledMessage } from "./approvals.js";
import { type DiscordConfig, writeDiscordStatus } from "./config.js";
import { describeDiscord, identify, type Place } from "./identity.js";
import { LOCKDOWN_COMMAND, lockdownFromDiscord } from "./lockdown.js";
import { MESSAGE_LIMIT, splitMessage, StreamedReply } from "./reply.js";
import { DiscordStore } from "./store.js";

export interface DiscordOptions {
  config: DiscordConfig;
  token: string;
  /** The REST API's base ("https://discord.com/api"). */
  api: string;
  stateDir: string;
  safety: Safety;
  handlers: HandlerRegistry;
  log: Logger;
  /** A pasteable `ora-agent …` command line, for DMs that point to the PC. */
  cli: CommandLine;
}

const NO_MENTIONS = { parse: [] };
const TYPING_EVERY_MS = 8_000;
/** How often a stranger or a flooding user is told why they get no answer: once in this long. */
const NOTICE_EVERY_MS = 10 * 60_000;
const SEEN_INTERACTIONS = 1_000;

export class DiscordChannel implements Channel {
  readonly name = "discord";
  private readonly rest: REST;
  private readonly gateway: WebSocketManager;
  private readonly client: Client;
  private readonly store: DiscordStore;
  private readonly limiter = new RateLimiter();
  private readonly turns = new Map<string, Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private readonly seen = new Set<string>();
  private readonly noticed = new Map<string, number>();
  private readonly unsubscribe: (() => void)[] = [];
  private current: ChannelStatus = { state: "connecting" };
  private closing = false;
  private ownerDm: string | undefined;

  constructor(private readonly options: DiscordOptions) {
    const { config, token, api } = options;
    this.rest = new REST({ version: "10", api }).setToken(token);
    const intents = GatewayIntentBits.GuildMessages | GatewayIntentBits.DirectMessages | (config.channels.length > 0 ? GatewayIntentBits.MessageContent : 0);
    this.gateway = new WebSocketManager({ token, intents, rest: this.rest });
    this.client = new Client({ rest: this.rest, gateway: this.gateway });
    this.store = new DiscordStore(options.safety.db);
  }

  async start(): Promise<void> {
    const { safety, log } = this.options;
    this.client.on(GatewayDispatchEvents.Ready, ({ data }) => {
      this.setStatus({ state: "connected", detail: `as ${data.user.username}` });
      void this.registerCommands();
    });
    this.client.on(GatewayDispatchEvents.Resumed, () => this.setStatus({ state: "connected", detail: "resumed" }));
    this.client.on(GatewayDispatchEvents.MessageCreate, ({ data, api }) => this.guard("message", () => this.onMessage(data, api)));
    this.client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api }) => this.guard("interaction", () => this.onInteraction(data, api)));
    this.gateway.on(WebSocketShardEvents.Closed, (code) => {
      if (this.closing) return;
      const fatal = FATAL_CLOSE[code];
      this.setStatus(fatal ? { state: "stopped", detail: fatal } : { state: "connecting", detail: `gateway closed (${code}); reconnecting` });
    });
    this.gateway.on(WebSocketShardEvents.Error, (error) => log.warn("discord gateway error", { error: error.message }));
    this.unsubscribe.push(
      safety.approvals.onChange((event) => this.guard("approval", () => this.onApproval(event.type, event.approval))),
      safety.tasks.onChange((task) => this.guard("task", () => this.onTask(task))),
    );
    this.setStatus({ state: "connecting" });
    try {
      await this.gateway.connect();
    } catch (error) {
      // A refused token or an unreachable Discord: the rest of the agent goes on without this channel.
      const detail = /401|unauthori[sz]ed/i.test(String(error))
        ? "Discord refused the bot token; run: discord setup again"
        : `cannot reach Discord: ${reason(error)}`;
      this.setStatus({ state: "stopped", detail });
    }
  }

  status(): ChannelStatus {
    return this.current;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    for (const abort of this.aborts) abort.abort();
    await Promise.allSettled(this.turns.values());
    await Promise.resolve(this.gateway.destroy()).catch(() => undefined);
    this.setStatus({ state: "stopped", detail: "the agent stopped" });
  }

  /** A conversation went on after one of its calls ended (secretary/resume.ts): say it where it is held. */
  tellConversation(resumed: Resumed): void {
    const channel = this.store.channelOf(resumed.conversation);
    if (!channel || resumed.message.content.trim() === "") return;
    this.guard("conversation", () => this.post(channel, resumed.message.content));
  }

  private async onMessage(message: GatewayMessageCreateDispatchData, api: API): Promise<void> {
    const { config } = this.options;
    if (message.author.id === config.bot.id) return;
    const place: Place = { channel: message.channel_id, ...(message.guild_id ? { guild: message.guild_id } : {}) };
    const identity = identify(config, message.author, place, message.member?.roles);
    if (identity.kind === "refused") {
      if (identity.reason !== "stranger_dm") return;
      const stranger = strangerOf(message.author.id, place);
      this.audit("discord.refused", stranger, "stranger_dm", place, message.id);
      if (this.noticeDue(message.author.id)) {
        await this.post(place.channel, "Hello! I am a private secretary and only talk with my owner in DMs. Sorry.");
      }
      return;
    }
    const mentioned = message.mentions.some((user) => user.id === config.bot.id);
    if (place.guild !== undefined && !mentioned && !config.channels.includes(place.channel)) return;
    const { requester } = identity;
    if (!this.withinLimits(message.author.id, place)) {
      this.audit("discord.refused", requester, "rate_limited", place, message.id);
      if (this.noticeDue(message.author.id)) {
        await this.post(place.channel, "You are writing faster than I may answer here; please wait a minute.", message.id);
      }
      return;
    }
    this.audit("discord.message", requester, "accepted", place, message.id);
    const text = message.content.replaceAll(new RegExp(`<@!?${config.bot.id}>`, "g"), "").trim();
    const key = `${requester.user}|${place.channel}`;
    const previous = this.turns.get(key) ?? Promise.resolve();
    // A turn that failed (its failure is logged by guard) does not hold up the next one.
    const next = previous.catch(() => undefined).then(() => this.turn(requester, place, message.id, text, api));
    this.turns.set(key, next);
    await next.finally(() => this.turns.get(key) === next && this.turns.delete(key));
  }

  /** One message answered: through the registry's `chat`, streamed into a reply. Turns of one user in one channel run in order. */
  private async turn(requester: Requester, place: Place, messageId: string, text: string, api: API): Promise<void> {
    if (text === `/${LOCKDOWN_COMMAND}`) {
      const decider = { user: requester.device.replace(/^discord:/, ""), channel: place.channel, ...(place.guild ? { guild: place.guild } : {}) };
      await this.post(place.channel, (await this.lockdown(decider)).text, messageId);
      return;
    }
    if (text === "" || text === "/new") {
      if (text === "/new") this.store.forgetConversation(requester.user, place.channel);
      await this.post(
        place.channel,
        text === "/new" ? "Started a new conversation." : "Yes? Ask me anything, or write /help for what works without a model.",
        messageId,
      );
      return;
    }
    const abort = new AbortController();
    this.aborts.add(abort);
    const typing = this.keepTyping(place.channel, api);
    const reply = new StreamedReply(
      {
        create: async (content, first) =>
          (
            await api.channels.createMessage(place.channel, {
              content,
              allowed_mentions: NO_MENTIONS,
              ...(first ? { message_reference: { message_id: messageId, fail_if_not_exists: false } } : {}),
            })
          ).id,
        edit: async (id, content) => void (await api.channels.editMessage(place.channel, id, { content, allowed_mentions: NO_MENTIONS })),
      },
      (error) => this.options.log.warn("discord: an edit of a streamed answer failed", { error: reason(error) }),
    );
    try {
      const conversation = this.store.conversation(requester.user, place.channel);
      const answer = await converse(
        this.options.handlers,
        { requester, name: describeDiscord(requester) },
        { text, ...(conversation ? { conversation } : {}) },
        (chunk) => (chunk.type === "text" ? reply.append(chunk.delta) : reply.step(chunk.name, stepWords(chunk))),
        abort.signal,
      );
      if (answer.ok) {
        if (answer.result.conversation) this.store.setConversation(requester.user, place.channel, answer.result.conversation);
        await reply.finish(readable(answer.result));
      } else {
        if (conversation && answer.code === "not_found") this.store.forgetConversation(requester.user, place.channel);
        await reply.finish(`That did not work (${answer.code}): ${answer.message}`);
      }
    } finally {
      clearInterval(typing);
      this.aborts.delete(abort);
    }
  }

  private async onInteraction(interaction: GatewayInteractionCreateDispatchData, api: API): Promise<void> {
    const user = interaction.member?.user ?? interaction.user;
    if (!user) return;
    const channel = interaction.channel?.id ?? "";
    const decider = { user: user.id, channel, ...(interaction.guild_id ? { guild: interaction.guild_id } : {}) };
    const place: Place = { channel, ...(interaction.guild_id ? { guild: interaction.guild_id } : {}) };
    if (this.seen.has(interaction.id)) {
      // The same interaction delivered again (a replay): it already had its answer, it gets nothing more.
      this.audit("discord.interaction", strangerOf(user.id, place), "replayed", place, interaction.id);
      return;
    }
    this.remember(interaction.id);
    const ephemeral = (content: string) =>
      api.interactions.reply(interaction.id, interaction.token, { content, flags: MessageFlags.Ephemeral, allowed_mentions: NO_MENTIONS });
    if (interaction.type === InteractionType.MessageComponent) {
      const asked = readButton(interaction.data.custom_id);
      if (!asked) return void (await ephemeral("I do not know this button."));
      const outcome = decideFromDiscord(this.options.safety, this.options.config, decider, asked.id, asked.verdict);
      const approval = this.options.safety.approvals.get(asked.id);
      if (outcome.ok && approval)
        await api.interactions.updateMessage(interaction.id, interaction.token, { ...settledMessage(approval), allowed_mentions: NO_MENTIONS });
      else await ephemeral(outcome.text);
      return;
    }
    if (interaction.type === InteractionType.ApplicationCommand && (interaction.data.name === "approve" || interaction.data.name === "deny")) {
      const options = "options" in interaction.data ? (interaction.data.options ?? []) : [];
      const id = options.find((option) => option.name === "id");
      const value = id && "value" in id ? String(id.value).trim().toLowerCase() : "";
      const outcome = decideFromDiscord(this.options.safety, this.options.config, decider, value, interaction.data.name);
      await ephemeral(outcome.text);
      return;
    }
    if (interaction.type === InteractionType.ApplicationCommand && interaction.data.name === LOCKDOWN_COMMAND) {
      await ephemeral((await this.lockdown(decider)).text);
      return;
    }
    await ephemeral("I do not know this command.");
  }

  private lockdown(decider: { user: string; channel: string; guild?: string }) {
    const { handlers, safety, config, cli } = this.options;
    return lockdownFromDiscord(handlers, safety, config, decider, (words) => cli(words));
  }

  private async onApproval(type: "created" | "decided" | "expired" | "invalidated", approval: Approval): Promise<void> {
    if (type === "created") {
      if (!dmsOwner(approval)) return;
      const channel = await this.ownerDmChannel();
      const message = await this.client.api.channels.createMessage(channel, { ...approvalMessage(approval, this.options.cli), allowed_mentions: NO_MENTIONS });
      this.store.setApprovalMessage(approval.id, channel, message.id);
      // Decided while the DM was on its way: show that instead of live buttons.
      const now = this.options.safety.approvals.get(approval.id);
      if (now && now.status !== "pending") await this.onApproval("decided", now);
      return;
    }
    const shown = this.store.approvalMessage(approval.id);
    if (!shown) return;
    await this.client.api.channels.editMessage(shown.channel, shown.message, { ...settledMessage(approval), allowed_mentions: NO_MENTIONS });
  }

  /** A waiting call of a Discord user ended: the channel it came from is told how. */
  private async onTask(task: Task): Promise<void> {
    const { requester } = task;
    if (!isFinal(task.state) || requester.via !== "discord" || !requester.session) return;
    const user = requester.device.replace(/^discord:/, "");
    const words: Record<string, string> = {
      done: "done ✅",
      denied: "the owner said no ❌; it did not run",
      expired: "no decision came in time ⌛; it did not run",
      cancelled: "cancelled; it did not run",
      failed: `it failed: ${task.error?.message ?? "unknown error"}`,
    };
    await this.client.api.channels.createMessage(requester.session, {
      content: `<@${user}> \`${task.tool}\` (task \`${task.id}\`): ${words[task.state] ?? task.state}`,
      allowed_mentions: { parse: [], users: [user] },
    });
  }

  private async registerCommands(): Promise<void> {
    try {
      await this.client.api.applicationCommands.bulkOverwriteGlobalCommands(this.options.config.bot.application, SLASH_COMMANDS);
    } catch (error) {
      this.options.log.warn("discord: could not register the /approve, /deny and /lockdown commands", { error: reason(error) });
    }
  }

  private async ownerDmChannel(): Promise<string> {
    this.ownerDm ??= (await this.client.api.users.createDM(this.options.config.owner)).id;
    return this.ownerDm;
  }

  private async post(channel: string, text: string, replyTo?: string): Promise<void> {
    for (const [i, content] of splitMessage(text).entries()) {
      await this.client.api.channels.createMessage(channel, {
        content,
        allowed_mentions: NO_MENTIONS,
        ...(i === 0 && replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
      });
    }
  }

  private keepTyping(channel: string, api: API): NodeJS.Timeout {
    const type = () => void api.channels.showTyping(channel).catch(() => undefined);
    type();
    return setInterval(type, TYPING_EVERY_MS);
  }

  private withinLimits(user: string, place: Place): boolean {
    const { limits } = this.options.config;
    if (!this.limiter.take(`user:${user}`, limits.perUserPerMinute)) return false;
    return place.guild === undefined || this.limiter.take(`guild:${place.guild}`, limits.perGuildPerMinute);
  }

  /** True at most once per NOTICE_EVERY_MS for a user (the map is bounded like the rate limiter's). */
  private noticeDue(user: string): boolean {
    const now = Date.now();
    const last = this.noticed.get(user);
    if (last !== undefined && now - last < NOTICE_EVERY_MS) return false;
    this.noticed.delete(user);
    if (this.noticed.size >= SEEN_INTERACTIONS) this.noticed.delete(this.noticed.keys().next().value!);
    this.noticed.set(user, now);
    return true;
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > SEEN_INTERACTIONS) this.seen.delete(this.seen.values().next().value!);
  }

  private audit(event: string, who: Requester, status: string, place: Place, id: string): void {
    this.options.safety.audit.record({ event, who, status, detail: `discord guild:${place.guild ?? "dm"} channel:${place.channel} id:${id}` });
  }

  private setStatus(status: ChannelStatus): void {
    this.current = status;
    const { detail } = status;
    writeDiscordStatus(this.options.stateDir, { pid: process.pid, state: status.state, since: new Date().toISOString(), ...(detail ? { detail } : {}) });
    this.options.log.info(`discord ${status.state}`, { detail });
  }

  /** Runs a handler of a Discord event; a failure is logged, never thrown into the gateway. */
  private guard(what: string, run: () => Promise<void>): void {
    run().catch((error) => this.options.log.warn(`discord: handling a ${what} failed`, { error: reason(error) }));
  }
}

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE: Record<number, string> = {
  4004: "Discord refused the bot token; run: discord setup again",
  4013: "Discord refused the gateway intents",
  4014: "a privileged intent is not enabled: turn on Message Content Intent in the Developer Portal, or configure no --channel",
};

/** The answer as Discord shows it best: a tool's JSON result (`/run`) in a code block when it fits one message. */
function readable(result: Result<"chat">): string {
  const text = result.text.trim();
  if (text === "") return "(no answer)";
  const json = result.result !== undefined && typeof result.result !== "string";
  return json && text.length <= MESSAGE_LIMIT - 12 ? `\`\`\`json\n${text.replaceAll("```", "`\u200b``")}\n\`\`\`` : text;
}

function stepWords(chunk: Extract<ChatChunk, { type: "tool" }>): string {
  switch (chunk.status) {
    case "running":
      return "running…";
    case "waiting_for_approval":
      return `waits for the owner's approval${chunk.task ? ` (task \`${chunk.task}\`)` : ""}; I will say here how it ends`;
    case "done":
      return chunk.schedule?.nextAt ? `done: <t:${Math.floor(chunk.schedule.nextAt / 1000)}:F>` : "done";
    case "refused":
      return `refused: ${chunk.error ?? "not allowed"}`;
  }
}

const strangerOf = (user: string, place: Place): Requester => ({
  device: `discord:${user}`,
  role: "guest",
  user: `discord:${place.guild ?? "dm"}:${user}`,
  via: "discord",
  session: place.channel,
});

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 300);
