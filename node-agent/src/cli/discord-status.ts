/**
 * `ora-agent discord status`, and the one reading of the Discord channel's state that `status` and
 * `doctor` share: discord.json, whether the secret store holds the token, and what the running agent
 * last wrote about its connection (discord-status.json, believed only while its writer is alive).
 */
import { type DiscordConfig, DISCORD_TOKEN_SECRET, type DiscordStatusFile, readDiscordConfig, readDiscordStatus } from "../channels/discord/config.js";
import { UserError } from "../errors.js";
import { openSecrets } from "../safety/secrets.js";
import { processAlive, runningAgent } from "../state.js";
import { escapeControls } from "../text.js";
import type { CliConfig } from "./command.js";
import type { CommandLine } from "./invocation.js";

/**
 * What the running agent wrote, or "not started" when an agent runs but has written nothing about
 * Discord (it started before setup), or "agent not running".
 */
export type DiscordConnection = DiscordStatusFile | { state: "not started"; pid: number } | { state: "agent not running" };

export interface DiscordOverview {
  config: DiscordConfig | null;
  tokenStored: boolean;
  connection: DiscordConnection;
}

/** Throws a UserError when discord.json or discord-status.json is damaged (readJson's words). */
export function discordOverview(stateDir: string): DiscordOverview {
  const config = readDiscordConfig(stateDir);
  const tokenStored = storedToken(stateDir) !== undefined;
  const status = readDiscordStatus(stateDir);
  if (status !== null && processAlive(status.pid)) return { config, tokenStored, connection: status };
  const agent = runningAgent(stateDir);
  return { config, tokenStored, connection: agent ? { state: "not started", pid: agent.pid } : { state: "agent not running" } };
}

/** The stored bot token; a damaged secrets file is the user's to fix (its message names the file, not the secrets). */
export function storedToken(stateDir: string): string | undefined {
  try {
    return openSecrets(stateDir).get(DISCORD_TOKEN_SECRET);
  } catch (error) {
    throw new UserError(error instanceof Error ? error.message : String(error));
  }
}

/** "connected as Ora since …", "stopped (…)": the connection in a few words, for one line. */
export function connectionWords(overview: DiscordOverview): string {
  const c = overview.connection;
  const detail = "detail" in c && c.detail ? ` (${escapeControls(c.detail)})` : "";
  switch (c.state) {
    case "connected":
      return `connected as ${botName(overview)} since ${c.since}`;
    case "connecting":
      return `connecting since ${c.since}${detail}`;
    case "stopped":
      return `stopped since ${c.since}${detail}`;
    case "not started":
      return `not connected: the running agent (pid ${c.pid}) started before Discord was set up; restart it`;
    case "agent not running":
      return "agent not running";
  }
}

/** `ora-agent status`'s line: off, no token, or the connection. */
export function discordLine(overview: DiscordOverview): string {
  if (!overview.config) return "off";
  if (!overview.tokenStored) return "no bot token stored";
  return connectionWords(overview);
}

const botName = (overview: DiscordOverview) => escapeControls(overview.config?.bot.name ?? "");

/** The setup line to paste, for a profile that has none yet or needs a new token. */
export const setupLine = (cli: CommandLine, owner = "<your Discord user id>") => `${cli("discord setup")} --owner ${owner} < token.txt`;

export function showStatus(config: CliConfig, json: boolean): number {
  const overview = discordOverview(config.stateDir);
  const { config: discord, tokenStored, connection } = overview;
  const connected = discord !== null && tokenStored && connection.state === "connected";
  if (json) {
    process.stdout.write(`${JSON.stringify({ configured: discord !== null, tokenStored, connected, config: discord, connection }, null, 2)}\n`);
    return connected ? 0 : 1;
  }
  if (!discord) {
    process.stdout.write(`Discord is off: run ${setupLine(config.cli)}\n(${config.cli("discord --help")} explains)\n`);
    return 1;
  }
  const list = (ids: string[], none: string) => (ids.length > 0 ? ids.join(", ") : none);
  const lines = [
    `bot         ${botName(overview)} (id ${discord.bot.id}, application ${discord.bot.application})`,
    `owner       ${discord.owner}`,
    `servers     ${list(discord.guilds, "none (only you can talk to the secretary)")}`,
    `channels    ${list(discord.channels, "none (in servers, only messages that mention the bot)")}`,
    `sub-admins  ${discord.subAdminRole ? `members with role ${discord.subAdminRole}` : "none"}`,
    `limits      ${discord.limits.perUserPerMinute} messages a minute per user, ${discord.limits.perGuildPerMinute} per server`,
    `token       ${tokenStored ? "stored" : `missing: run ${setupLine(config.cli, discord.owner)}`}`,
    `connection  ${connectionWords(overview)}`,
  ];
  if (connection.state === "agent not running") lines.push(`(start it with: ${config.cli("start")})`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return connected ? 0 : 1;
}
