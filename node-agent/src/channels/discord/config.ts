/**
 * The Discord channel's settings, `<stateDir>/discord.json` (0600), written by `ora-agent discord
 * setup`. The bot token is not here: it is in the profile's secret store under DISCORD_TOKEN_SECRET.
 * Without this file the channel is off.
 *
 * Who is who is decided by ids only, never by names: the owner is one Discord user id; members of the
 * listed servers are guests (members holding `subAdminRole` are sub-admins); anyone else is refused.
 */
import { join } from "node:path";
import * as z from "zod/mini";
import { UserError } from "../../errors.js";
import { readJson, writePrivateJson } from "../../state.js";

/** A Discord id: a 64-bit number written in decimal. */
export const Snowflake = z.string().check(z.regex(/^\d{15,20}$/, "a Discord id is 15 to 20 digits (Developer Mode → right-click → Copy ID)"));

export const DiscordConfig = z.object({
  /** The owner's Discord user id: their DMs are the owner's, approvals are sent to them. */
  owner: Snowflake,
  /** Servers whose members may talk to the secretary (as guests). */
  guilds: z._default(z.array(Snowflake), []),
  /** Channels where every message is answered; elsewhere only messages that mention the bot. */
  channels: z._default(z.array(Snowflake), []),
  /** Members of allowed servers holding this role are sub-admins instead of guests. */
  subAdminRole: z.optional(Snowflake),
  /** The bot, as Discord told `setup`. */
  bot: z.object({ id: Snowflake, name: z.string(), application: Snowflake }),
  limits: z._default(
    z.object({
      /** Messages one Discord user may send the secretary per minute (a burst of this many, then that rate). */
      perUserPerMinute: z._default(z.number().check(z.int(), z.gte(1), z.lte(600)), 6),
      /** Messages one server may send per minute, all its members together. */
      perGuildPerMinute: z._default(z.number().check(z.int(), z.gte(1), z.lte(6000)), 30),
    }),
    { perUserPerMinute: 6, perGuildPerMinute: 30 },
  ),
});
export type DiscordConfig = z.infer<typeof DiscordConfig>;

/** The secret store's name for the bot token. */
export const DISCORD_TOKEN_SECRET = "discord.bot_token";

export const discordConfigPath = (stateDir: string) => join(stateDir, "discord.json");

export const readDiscordConfig = (stateDir: string): DiscordConfig | null => readJson(discordConfigPath(stateDir), DiscordConfig);
export const writeDiscordConfig = (stateDir: string, config: DiscordConfig) => writePrivateJson(discordConfigPath(stateDir), config);

export const DISCORD_API = "https://discord.com/api";

/**
 * Where the Discord REST API is: discord.com, or (ORA_DISCORD_API) another https endpoint such as a
 * proxy, or an http one on this machine. The token is sent there, so plain http elsewhere is refused.
 */
export function discordApi(env: NodeJS.ProcessEnv): string {
  const value = env.ORA_DISCORD_API || DISCORD_API;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UserError(`ORA_DISCORD_API "${value}" is not a URL`);
  }
  const local = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) {
    throw new UserError("ORA_DISCORD_API must be https:// (or http:// on this machine): the bot token is sent there");
  }
  return value.replace(/\/+$/, "");
}

/** Permissions the bot needs: View Channel (1 << 10) and Send Messages (1 << 11). Nothing else. */
export const BOT_PERMISSIONS = (1n << 10n) | (1n << 11n);

/** The link that adds the bot to a server with those permissions and its slash commands. */
export function inviteUrl(application: string): string {
  const query = new URLSearchParams({ client_id: application, scope: "bot applications.commands", permissions: BOT_PERMISSIONS.toString() });
  return `https://discord.com/oauth2/authorize?${query}`;
}

/** What the running agent's Discord connection is doing, for `discord status` and `doctor`. */
export const DiscordStatusFile = z.object({
  pid: z.number(),
  state: z.enum(["connecting", "connected", "stopped"]),
  since: z.string(),
  /** Why it stopped or is reconnecting, in words safe to show (never the token). */
  detail: z.optional(z.string()),
});
export type DiscordStatusFile = z.infer<typeof DiscordStatusFile>;

export const discordStatusPath = (stateDir: string) => join(stateDir, "discord-status.json");
export const readDiscordStatus = (stateDir: string) => readJson(discordStatusPath(stateDir), DiscordStatusFile);
export const writeDiscordStatus = (stateDir: string, status: DiscordStatusFile) => writePrivateJson(discordStatusPath(stateDir), status);
