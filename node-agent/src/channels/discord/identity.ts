/**
 * Who wrote a Discord message, by ids only: the configured owner, a member of an allowed server (a
 * guest, or a sub-admin with the configured role), or someone the secretary does not talk to. A
 * Discord user is a user of the agent per server, so a guest's conversations and notes in one server
 * are not theirs in another; the owner is the agent's own "owner" wherever they write.
 */
import type { Requester } from "../../safety/index.js";
import type { DiscordConfig } from "./config.js";

export interface Author {
  id: string;
  bot?: boolean;
}

/** Where a message was written: a server channel, or a DM (no guild). */
export interface Place {
  guild?: string;
  channel: string;
}

export type Identity =
  | { kind: "member"; requester: Requester }
  /** Another bot, a stranger in DMs, or a server that is not on the list: not answered. */
  | { kind: "refused"; reason: "bot" | "stranger_dm" | "other_server" };

export function identify(config: DiscordConfig, author: Author, place: Place, roles: readonly string[] = []): Identity {
  if (author.bot) return { kind: "refused", reason: "bot" };
  const device = `discord:${author.id}`;
  if (author.id === config.owner) return { kind: "member", requester: { device, role: "owner", user: "owner", via: "discord", session: place.channel } };
  if (place.guild === undefined) return { kind: "refused", reason: "stranger_dm" };
  if (!config.guilds.includes(place.guild)) return { kind: "refused", reason: "other_server" };
  const role = config.subAdminRole !== undefined && roles.includes(config.subAdminRole) ? "sub-admin" : "guest";
  return { kind: "member", requester: { device, role, user: discordUser(place.guild, author.id), via: "discord", session: place.channel } };
}

/** The agent's user for a Discord member of one server: conversations, notes and tasks are theirs. */
export const discordUser = (guild: string, user: string) => `discord:${guild}:${user}`;

/** "Discord user 1234… in server 5678… (guest)" — how approvals and notices name a Discord requester. */
export { describeRequester as describeDiscord } from "../../safety/requester.js";
