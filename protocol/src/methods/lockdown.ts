/**
 * Lockdown: one tap that stops everything when something went wrong. An owner (a paired owner device,
 * the PC's own command line, or the owner's Discord DM) enters it; while it lasts the PC refuses
 * HIGH and CRITICAL calls, waiting approvals and tasks are cancelled, schedules pause, and the relay
 * closes every session but the invoking device's and refuses pairing. Only the PC ends it (`ora-agent
 * unlock`), or an owner device that proves itself with a passkey.
 */
import * as z from "zod/mini";
import { EVERYONE, method, OWNERS } from "./define.js";

export const LockdownStatus = z.object({
  locked: z.boolean(),
  /** When it began (ms since the epoch); null when not locked. */
  since: z.nullable(z.number()),
  /** Who entered it, in words ("the local CLI", "owner (owner, device d…)"); null when not locked. */
  by: z.nullable(z.string()),
});
export type LockdownStatus = z.infer<typeof LockdownStatus>;

export const lockdownMethods = {
  "lockdown.enter": method({
    description: "Locks the PC down at once (owners): cancels what waits, pauses schedules, refuses HIGH/CRITICAL and closes every other session.",
    roles: OWNERS,
    params: z._default(z.object({}), {}),
    result: z.object({
      lockdown: LockdownStatus,
      /** True when it was already locked (entering again changes nothing but the relay's copy). */
      already: z.boolean(),
      /** Waiting tasks cancelled now (their approvals withdrawn). */
      cancelledTasks: z.number().check(z.int(), z.nonnegative()),
      /** Sessions the relay closed; null when the relay could not be told (the agent tries again as it reconnects). */
      closedSessions: z.nullable(z.number().check(z.int(), z.nonnegative())),
    }),
  }),
  "lockdown.exit": method({
    description: "Ends the lockdown: from a device only with a passkey's proof (the PC's own command line needs none).",
    roles: OWNERS,
    params: z._default(z.object({ proof: z.optional(z.unknown()) }), {}),
    result: z.object({ lockdown: LockdownStatus }),
  }),
  "lockdown.status": method({
    description: "Whether the PC is in lockdown, since when and by whom.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ lockdown: LockdownStatus }),
  }),
};

export const lockdownEvents = {
  lockdown: {
    description: "The PC entered or left lockdown; sent to every open session.",
    data: z.object({ lockdown: LockdownStatus }),
  },
};
