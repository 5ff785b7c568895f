/** Who asks, reduced to what rules compare: the stable identity of a requester across sessions. */
import type { Requester } from "./tool.js";

/** The PC's own user at its own keyboard: the local CLI, through the control socket. */
export const LOCAL_OWNER: Requester = Object.freeze({ device: "local", role: "owner", user: "owner", via: "local" });

/**
 * Identity for rate limits, flood limits and approval binding. The session is left out on purpose:
 * a device that reconnects (or an agent that restarts) is still the same requester.
 */
export function requesterKey(requester: Requester): string {
  return `${requester.via}:${requester.device}:${requester.role}:${requester.user}`;
}

export function describeRequester(requester: Requester): string {
  if (requester.via === "local") return "the local CLI";
  if (requester.via === "discord") {
    // device "discord:<user id>", user "owner" or "discord:<server id>:<user id>" (channels/discord/identity.ts)
    const id = requester.device.replace(/^discord:/, "");
    const server = /^discord:(\d+):/.exec(requester.user)?.[1];
    return requester.role === "owner" ? "the owner on Discord" : `Discord user ${id}${server ? ` in server ${server}` : ""} (${requester.role})`;
  }
  return `${requester.user} (${requester.role}, device ${requester.device})`;
}

/**
 * The user behind a paired device: owners share one ("owner", like the PC's own command line), so
 * their notes and conversations follow them from phone to laptop; anyone else is their own device.
 */
export function userOf(device: string, role: Requester["role"]): string {
  return role === "owner" ? "owner" : device;
}

/** How approvals and tasks store the requester they belong to. */
export interface RequesterColumns {
  req_device: string;
  req_role: Requester["role"];
  req_user: string;
  req_via: Requester["via"];
  req_session: string | null;
}

export function requesterFromColumns(row: RequesterColumns): Requester {
  const requester: Requester = { device: row.req_device, role: row.req_role, user: row.req_user, via: row.req_via };
  if (row.req_session !== null) requester.session = row.req_session;
  return requester;
}
