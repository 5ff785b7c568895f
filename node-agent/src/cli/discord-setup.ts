/**
 * `ora-agent discord setup`: checks the bot token with Discord, keeps it in the profile's secret store
 * and the ids in discord.json, and says how to invite the bot. The token is read from standard input
 * only: a flag would land in shell history and in the process list every user can read, and an
 * environment variable is inherited by every child the agent starts.
 */
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { z } from "zod";
import {
  DiscordConfig,
  DISCORD_TOKEN_SECRET,
  discordApi,
  discordConfigPath,
  inviteUrl,
  readDiscordConfig,
  Snowflake,
  writeDiscordConfig,
} from "../channels/discord/config.js";
import { UserError } from "../errors.js";
import { openSecrets } from "../safety/secrets.js";
import { ensureStateDir, runningAgent } from "../state.js";
import { escapeControls } from "../text.js";
import type { CliConfig } from "./command.js";
import { setupLine, storedToken } from "./discord-status.js";

type Flags = Record<string, string | boolean | undefined>;

/** Discord answers in well under a second; a setup that hangs helps nobody. */
const TIMEOUT_MS = 10_000;
/** A token is about 72 characters; more than this on stdin is some other file. */
const MAX_INPUT = 4096;

const BotUser = z.object({ id: Snowflake, username: z.string() });
const Application = z.object({ id: Snowflake });

export async function setup(config: CliConfig, flags: Flags): Promise<number> {
  // Every flag is checked before the token is read, so that a typo does not cost a paste.
  const ids = idsFrom(flags);
  const api = discordApi(process.env);
  const token = flags["keep-token"] === true ? keptToken(config) : await readToken(config, ids.owner);
  const bot = await whoAmI(api, token);

  ensureStateDir(config.stateDir);
  const discord = DiscordConfig.parse({ ...ids, bot, limits: previousLimits(config.stateDir) });
  const secrets = openSecrets(config.stateDir);
  secrets.set(DISCORD_TOKEN_SECRET, token);
  writeDiscordConfig(config.stateDir, discord);
  process.stdout.write(report(config, discord, secrets.location()));
  return 0;
}

function idsFrom(flags: Flags): Pick<DiscordConfig, "owner" | "guilds" | "channels" | "subAdminRole"> {
  if (typeof flags.owner !== "string")
    throw new UserError(
      "--owner is required: your own Discord user id (Discord settings → Advanced → Developer Mode on, then right-click your name → Copy User ID)",
    );
  const role = flags["sub-admin-role"];
  return {
    owner: snowflake("--owner", flags.owner),
    guilds: [...new Set(many(flags, "guild").map((id) => snowflake("--guild", id)))],
    channels: [...new Set(many(flags, "channel").map((id) => snowflake("--channel", id)))],
    ...(typeof role === "string" ? { subAdminRole: snowflake("--sub-admin-role", role) } : {}),
  };
}

function snowflake(flag: string, value: string): string {
  const parsed = Snowflake.safeParse(value);
  if (!parsed.success) throw new UserError(`${flag} ${JSON.stringify(value)} is not a Discord id: ${parsed.error.issues[0]?.message ?? "digits only"}`);
  return parsed.data;
}

/** A `multiple: true` option: parseArgs gives a string[], which Command's flags type does not spell out. */
function many(flags: Flags, name: string): string[] {
  const value: unknown = flags[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
}

function keptToken(config: CliConfig): string {
  const token = storedToken(config.stateDir);
  if (token === undefined) throw new UserError(`--keep-token: no bot token is stored in this profile yet; run ${setupLine(config.cli)}`);
  return token;
}

async function readToken(config: CliConfig, owner: string): Promise<string> {
  const text = process.stdin.isTTY ? await promptHidden("Bot token (input hidden): ") : await readAll();
  const token = text.trim().replace(/^Bot\s+/i, "");
  if (token === "")
    throw new UserError(
      `no bot token on standard input: run ${setupLine(config.cli, owner)} with the token in token.txt, or run setup in a terminal and paste it (--keep-token reuses the stored one)`,
    );
  if (!/^[\x21-\x7e]+$/.test(token)) throw new UserError("standard input must hold the bot token alone, on one line");
  return token;
}

async function readAll(): Promise<string> {
  process.stdin.setEncoding("utf8");
  let text = "";
  for await (const chunk of process.stdin) {
    text += chunk;
    if (text.length > MAX_INPUT) {
      process.stdin.destroy();
      throw new UserError("standard input holds far more than a bot token: give the token alone");
    }
  }
  return text;
}

/**
 * readline in terminal mode puts the terminal in raw mode (so the terminal echoes nothing) and echoes
 * what is typed to its output itself; with a muted output the token never reaches the screen.
 */
function promptHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  return new Promise((resolve, reject) => {
    let answer: string | undefined;
    rl.once("line", (line) => {
      answer = line;
      rl.close();
    });
    // Raw mode turns Ctrl-C into a keypress; without this listener readline would only pause.
    rl.on("SIGINT", () => rl.close());
    rl.once("close", () => {
      process.stderr.write("\n");
      if (answer === undefined) reject(new UserError("no token entered", 1));
      else resolve(answer);
    });
  });
}

/** The bot user and its application, as Discord reports them for this token. */
async function whoAmI(api: string, token: string): Promise<DiscordConfig["bot"]> {
  // Loaded here, not at the top: every other command would pay for the Discord libraries.
  const discord = await import("@discordjs/rest");
  const { Routes } = await import("discord-api-types/v10");
  // rejectOnRateLimit: a 429 fails at once instead of waiting out Discord's retry-after.
  const rest = new discord.REST({ version: "10", api, timeout: TIMEOUT_MS, retries: 0, rejectOnRateLimit: () => true }).setToken(token);
  try {
    const user = BotUser.safeParse(await rest.get(Routes.user()));
    const application = Application.safeParse(await rest.get(Routes.oauth2CurrentApplication()));
    if (!user.success || !application.success) throw new UserError(`${api} answered, but not the way Discord does: check ORA_DISCORD_API`, 1);
    return { id: user.data.id, name: user.data.username, application: application.data.id };
  } catch (error) {
    throw refusal(error, api, token, discord);
  }
}

/** What went wrong, in words that never carry the token. */
function refusal(error: unknown, api: string, token: string, { DiscordAPIError, HTTPError, RateLimitError }: typeof import("@discordjs/rest")): UserError {
  if (error instanceof UserError) return error;
  if (error instanceof DiscordAPIError && error.status === 401)
    return new UserError("Discord refused this token: copy it again from the Developer Portal → your application → Bot → Reset Token");
  if (error instanceof DiscordAPIError) return new UserError(`Discord refused: HTTP ${error.status}, ${without(token, error.message)}`, 1);
  if (error instanceof HTTPError) return new UserError(`Discord answered HTTP ${error.status}: try again in a while (https://discordstatus.com)`, 1);
  if (error instanceof RateLimitError) return new UserError(`Discord asks to wait ${Math.ceil(error.retryAfter / 1000)} s before trying again`, 1);
  if (error instanceof Error && error.name === "AbortError") return new UserError(`no answer from ${api} within ${TIMEOUT_MS / 1000} s: check the network`, 1);
  const reason = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ""}` : String(error);
  return new UserError(`cannot reach ${api}: ${without(token, reason)}`, 1);
}

const without = (token: string, text: string) => text.split(token).join("[redacted]");

/** Limits are not set by flags: a setup run again keeps the ones discord.json had (else the defaults). */
function previousLimits(stateDir: string): DiscordConfig["limits"] | undefined {
  try {
    return readDiscordConfig(stateDir)?.limits;
  } catch (error) {
    if (error instanceof UserError) return undefined; // a damaged file is replaced
    throw error;
  }
}

function report(config: CliConfig, discord: DiscordConfig, tokenAt: string): string {
  const ids = (list: string[]) => list.join(", ");
  const lines = [
    `Discord bot ${escapeControls(discord.bot.name)} (id ${discord.bot.id}) accepted the token; saved to ${discordConfigPath(config.stateDir)}:`,
    `  owner       ${discord.owner} (your DMs with the bot are yours; approvals are asked there)`,
    `  servers     ${discord.guilds.length > 0 ? `${ids(discord.guilds)} (their members are guests)` : "none (only you can talk to the secretary)"}`,
    `  channels    ${discord.channels.length > 0 ? `${ids(discord.channels)} (every message there is answered)` : "none (in servers, the bot answers when mentioned)"}`,
    `  sub-admins  ${discord.subAdminRole ? `members holding role ${discord.subAdminRole}` : "none"}`,
    `  token       in ${tokenAt} (never shown)`,
    "",
    "Add the bot to a server with this link:",
    `  ${inviteUrl(discord.bot.application)}`,
    "It grants View Channels and Send Messages, nothing else, and adds the secretary's slash commands.",
  ];
  if (discord.channels.length > 0)
    lines.push(
      "",
      "Turn on Message Content Intent in the Developer Portal → your application → Bot → Privileged Gateway Intents:",
      "answering every message in a channel needs their text (mentions and DMs do not).",
    );
  if (discord.channels.length > 0 && discord.guilds.length === 0)
    lines.push("Note: with no --guild, only you are answered in those channels; --guild <server id> lets that server's members in.");
  const agent = runningAgent(config.stateDir);
  lines.push(
    "",
    agent
      ? `Next: restart the agent (pid ${agent.pid}) so that it connects to Discord: stop it, then run ${config.cli("start")} (or restart its service).`
      : `Next: start the agent, which connects to Discord: ${config.cli("start")}`,
    `Then check: ${config.cli("discord status")}`,
  );
  return `${lines.join("\n")}\n`;
}
