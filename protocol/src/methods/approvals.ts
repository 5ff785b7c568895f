/**
 * Approvals: the inbox of an owner or sub-admin device and its explicit decisions. A decision is its
 * own request, never text inside a conversation. The PC's own command line (`ora-agent approve`) calls
 * the same methods through the local control socket, as the local owner.
 */
import * as z from "zod/mini";
import { DECIDERS, method } from "./define.js";
import { PasskeyAssertion } from "./passkeys.js";
import { AlwaysRequest, Rule } from "./rules.js";
import { Approval, ApprovalStatus, ApprovalView } from "./schemas.js";

/** A CRITICAL approval's one-time code: six digits, shown only on the owner's channel. */
export const ApprovalCode = z.string().check(z.regex(/^\d{6}$/, "a code is 6 digits"));

export const approvalMethods = {
  "approvals.list": method({
    description: "Pending approvals this device may decide (the one-time code only for the PC's own command line).",
    roles: DECIDERS,
    params: z.unknown(),
    result: z.object({ approvals: z.array(ApprovalView) }),
  }),
  "approvals.decide": method({
    description:
      "Approves or denies one approval; CRITICAL needs a passkey assertion from a device (the one-time code only at the PC). With `always` (HIGH only), also makes a standing rule for later calls like it.",
    roles: DECIDERS,
    params: z.object({
      id: z.string().check(z.minLength(1), z.maxLength(64)),
      verdict: z.enum(["approve", "deny"]),
      code: z.optional(ApprovalCode),
      /** The answer to `passkeys.challenge {purpose: "approve", approval: id}`. */
      assertion: z.optional(PasskeyAssertion),
      always: z.optional(AlwaysRequest),
    }),
    result: z.object({ id: z.string(), status: ApprovalStatus, rule: z.optional(Rule) }),
  }),
};

export const approvalEvents = {
  approval: {
    description: "An approval was created, decided, expired or invalidated; sent to the devices that may decide it. Never carries the code.",
    data: z.object({ type: z.enum(["created", "decided", "expired", "invalidated"]), approval: Approval }),
  },
};
