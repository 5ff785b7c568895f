/**
 * rules.list / revoke / update for decider devices and the PC's command line; rules are made by
 * approvals.decide with `always` (methods/approvals.ts). The rules module decides who sees and changes
 * which rule.
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { ApprovalError, RuleError, type Always, type PasskeyProof, type Requester, type Safety } from "../safety/index.js";

export function registerRuleMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("rules.list", ({ all }, { requester }) => ({ rules: safety.rules.list(requester, { all }) }))
    .register("rules.revoke", ({ id }, { requester }) => guarded(() => ({ rule: safety.rules.revoke(id, requester) })))
    .register("rules.update", ({ id, until }, { requester }) => guarded(() => ({ rule: safety.rules.update(id, until, requester) })));
}

/** approvals.decide with `always`: approve and make the rule together, or neither. */
export async function approveAlways(safety: Safety, id: string, verdict: "approve" | "deny", always: Always, requester: Requester, passkey?: PasskeyProof) {
  if (verdict !== "approve") throw new HandlerError("bad_params", "always goes with approve only");
  try {
    const { status, rule } = await safety.rules.approveAlways(id, always, requester, passkey);
    return { id, status, rule };
  } catch (error) {
    throw ruleError(error);
  }
}

function guarded<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw ruleError(error);
  }
}

function ruleError(error: unknown): unknown {
  if (error instanceof RuleError || error instanceof ApprovalError) return new HandlerError(error.code, error.message);
  return error;
}
