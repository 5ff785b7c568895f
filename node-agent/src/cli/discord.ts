/** `ora-agent discord setup | status | off`: the Discord channel's settings (see channels/discord/config.ts). */
import { existsSync, rmSync } from "node:fs";
import type { ParseArgsConfig } from "node:util";
import { DISCORD_TOKEN_SECRET, discordConfigPath } from "../channels/discord/config.js";
import { UserError } from "../errors.js";
import { openSecrets } from "../safety/secrets.js";
import { runningAgent } from "../state.js";
import { type CliConfig, type Command, configFrom } from "./command.js";
import { setup } from "./discord-setup.js";
import { showStatus } from "./discord-status.js";

const OPTIONS = {
  owner: { type: "string" },
  guild: { type: "string", multiple: true },
  channel: { type: "string", multiple: true },
  "sub-admin-role": { type: "string" },
  "keep-token": { type: "boolean" },
  json: { type: "boolean" },
} satisfies ParseArgsConfig["options"];

/** Which of OPTIONS each action takes; any other is refused rather than ignored. */
const ACTION_OPTIONS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  setup: ["owner", "guild", "channel", "sub-admin-role", "keep-token"],
  status: ["json"],
  off: [],
};

const USAGE = `Usage: ora-agent discord setup --owner <id> [--guild <id>]… [--channel <id>]… [--sub-admin-role <id>] [--keep-token] < token.txt
       ora-agent discord status [--json]
       ora-agent discord off

Lets you (and the servers you choose) talk to the secretary through a Discord bot
of your own. Make one first: https://discord.com/developers/applications → New
Application → Bot → Reset Token, and copy the token.

setup    checks the bot token with Discord and saves it with the ids below. The
         token is read from standard input so it never lands in your shell
         history or the process list; in a terminal, setup asks for it.
           ora-agent discord setup --owner 123456789012345678 < token.txt
           ora-agent discord setup --owner 123456789012345678 --guild 234567890123456789 \\
             --channel 345678901234567890 < token.txt
  --owner <id>            your own Discord user id: your DMs with the bot are the owner's
  --guild <id>            a server whose members may talk to the secretary, as guests
                          (repeat for more)
  --channel <id>          a channel where every message is answered, not only mentions
                          (repeat for more; needs Message Content Intent)
  --sub-admin-role <id>   members holding this role are sub-admins instead of guests
  --keep-token            reuse the stored token, to change only the ids
status   what is set up and whether the running agent is connected to Discord
         (exit 0 when it is):
           ora-agent discord status
off      removes the settings and the stored token:
           ora-agent discord off

Ids: in Discord, Settings → Advanced → Developer Mode, then right-click a user,
server, channel or role → Copy ID. Restart the agent after setup or off.`;

export const discordCommand: Command = {
  usage: USAGE,
  options: OPTIONS,
  async run({ flags, positionals }) {
    const [action, ...extra] = positionals;
    if (action === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 2;
    }
    const config = configFrom(flags);
    const help = config.cli("discord --help");
    const allowed = ACTION_OPTIONS[action];
    if (!allowed) throw new UserError(`unknown discord action "${action}": use setup, status or off (${help})`);
    if (extra.length > 0) throw new UserError(`unexpected "${extra.join(" ")}" after discord ${action} (${help})`);
    const stray = Object.keys(OPTIONS).find((name) => flags[name] !== undefined && !allowed.some((ok) => ok === name));
    if (stray) throw new UserError(`--${stray} does not go with discord ${action} (${help})`);
    if (action === "setup") return setup(config, flags);
    if (action === "status") return showStatus(config, flags.json === true);
    return off(config);
  },
};

function off(config: CliConfig): number {
  const path = discordConfigPath(config.stateDir);
  const store = openSecrets(config.stateDir);
  const removed = [...(existsSync(path) ? [path] : []), ...(store.get(DISCORD_TOKEN_SECRET) !== undefined ? ["the bot token"] : [])];
  if (removed.length === 0) {
    process.stdout.write("Discord is not set up in this profile: nothing to remove\n");
    return 0;
  }
  rmSync(path, { force: true });
  store.delete(DISCORD_TOKEN_SECRET);
  const agent = runningAgent(config.stateDir);
  const lines = [
    `Discord is off: removed ${removed.join(" and ")}.`,
    ...(agent ? [`Restart the agent (pid ${agent.pid}) so that it leaves Discord: stop it, then run ${config.cli("start")} (or restart its service).`] : []),
    "The token itself stays valid at Discord until you reset it in the Developer Portal (your application → Bot → Reset Token).",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
