/**
 * The Discord channel, when this profile has one (`ora-agent discord setup`): off without discord.json;
 * the Discord libraries are loaded only then, so an agent without Discord never pays for them.
 */
import type { CommandLine } from "../channel.js";
import type { HandlerRegistry } from "../../handlers.js";
import type { Logger } from "../../log.js";
import { openSecrets } from "../../safety/secrets.js";
import type { Safety } from "../../safety/index.js";
import { DISCORD_TOKEN_SECRET, discordApi, readDiscordConfig, writeDiscordStatus } from "./config.js";
import type { DiscordChannel } from "./bot.js";

export { DISCORD_MIGRATIONS } from "./store.js";
export type { DiscordChannel } from "./bot.js";

export interface DiscordDeps {
  stateDir: string;
  env: NodeJS.ProcessEnv;
  safety: Safety;
  handlers: HandlerRegistry;
  log: Logger;
  cli: CommandLine;
}

/**
 * Connects to Discord when configured, in the background (the relay connection never waits for it);
 * null when it is off or cannot start (the reason is in discord-status.json).
 */
export async function startDiscord(deps: DiscordDeps): Promise<DiscordChannel | null> {
  const config = readDiscordConfig(deps.stateDir);
  if (!config) return null;
  const token = openSecrets(deps.stateDir, deps.env).get(DISCORD_TOKEN_SECRET);
  if (!token) {
    const detail = "no bot token is stored; run: discord setup";
    writeDiscordStatus(deps.stateDir, { pid: process.pid, state: "stopped", since: new Date().toISOString(), detail });
    deps.log.warn("discord is configured but has no token", { fix: deps.cli("discord setup --owner <your Discord user id>") });
    return null;
  }
  const { DiscordChannel } = await import("./bot.js");
  const channel = new DiscordChannel({ ...deps, config, token, api: discordApi(deps.env) });
  void channel.start();
  return channel;
}
