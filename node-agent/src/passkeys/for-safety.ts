import type { Safety } from "../safety/index.js";
import { Passkeys } from "./passkeys.js";
import { relyingPartyOf } from "./relying-party.js";

/** The passkeys of this profile, for the relay the web client is served from, bound to this Node's approvals. */
export function passkeysFor(safety: Safety, relay: string, node: string, now?: () => number): Passkeys {
  return new Passkeys({
    db: safety.db,
    audit: safety.audit,
    relyingParty: relyingPartyOf(relay),
    node,
    approval: (requester, id) => safety.approvals.list(requester).find((a) => a.id === id),
    ...(now ? { now } : {}),
  });
}
