/**
 * Standing rules: "always allow this tool for this requester within this scope until then", made
 * while approving a HIGH call (approvals.decide with `always`), so the same question is not asked
 * again and again. Owners list and change every rule; a sub-admin the rules it made; guests none.
 */
import * as z from "zod/mini";
import { DECIDERS, method } from "./define.js";
import { Requester } from "./schemas.js";

/** The longest a rule may last, from when it is made or changed. */
export const MAX_RULE_DAYS = 30;

/** What a decider asks for: a folder (file tools), a host (web.fetch), or, left out, exactly these arguments. */
export const RuleScopeRequest = z.union([
  z.strictObject({ path: z.string().check(z.maxLength(4096)) }),
  z.strictObject({ host: z.string().check(z.minLength(1), z.maxLength(300)) }),
]);

export const AlwaysRequest = z.object({
  /** When the rule ends, in ms since the epoch: at most 30 days from now. */
  until: z.number().check(z.int()),
  scope: z.optional(RuleScopeRequest),
});

export const RuleScope = z.union([
  /** A folder, relative to the shared folder named `root` (its folder name), after every symlink; "" is the whole folder. */
  z.object({ path: z.string(), root: z.string() }),
  /** Host name (lower case, punycode) and port when it is not the scheme's default. */
  z.object({ host: z.string() }),
  /** Exactly the arguments whose canonical JSON has this sha256. */
  z.object({ argsHash: z.string() }),
]);
export type RuleScope = z.infer<typeof RuleScope>;

export const Rule = z.object({
  id: z.string(),
  tool: z.string(),
  /** Whose calls it allows (compared by via, device, role and user). */
  requester: Requester,
  scope: RuleScope,
  /** The stable key of the decider who made it. */
  createdBy: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  revokedAt: z.nullable(z.number()),
  uses: z.number(),
  lastUsedAt: z.nullable(z.number()),
});
export type Rule = z.infer<typeof Rule>;

const RuleId = z.string().check(z.minLength(1), z.maxLength(64));

export const ruleMethods = {
  "rules.list": method({
    description: "Standing rules this device may see: every rule for owners, its own for a sub-admin (all: revoked and expired ones too).",
    roles: DECIDERS,
    params: z._default(z.object({ all: z._default(z.boolean(), false) }), { all: false }),
    result: z.object({ rules: z.array(Rule) }),
  }),
  "rules.revoke": method({
    description: "Revokes one standing rule at once: its next call asks for an approval again.",
    roles: DECIDERS,
    params: z.object({ id: RuleId }),
    result: z.object({ rule: Rule }),
  }),
  "rules.update": method({
    description: "Moves a live rule's end: sooner, or later up to 30 days from now.",
    roles: DECIDERS,
    params: z.object({ id: RuleId, until: z.number().check(z.int()) }),
    result: z.object({ rule: Rule }),
  }),
};
