/**
 * The decision table of the enforcement point: role × profile × risk × allowlist → run, ask for an
 * approval, or refuse. Pure: it sees the requester, the tool (undefined when no such tool is
 * registered) and the PolicyConfig, and nothing else.
 *
 *                    owner, sub-admin               guest
 *   private          every tool                     LOW tools marked guestVisible
 *   shared           every tool but CRITICAL¹       guestVisible tools in ORA_SHARED_GUEST_ALLOWED_TOOLS,
 *                                                   but CRITICAL¹
 *   ¹ unless ORA_SHARED_ALLOW_CRITICAL=1
 *
 * Within what a role may use, LOW and MEDIUM run at once; HIGH and CRITICAL wait for an approval.
 * An unknown tool counts as HIGH and is refused (there is nothing to run). A guest is told not_found
 * for anything it may not use, so its errors do not reveal which tools exist.
 */
import type { PolicyConfig } from "./policy-config.js";
import type { Requester, Risk, Tool } from "./tool.js";

export type Verdict = { kind: "run" } | { kind: "approve" } | { kind: "refuse"; code: "not_found" | "denied"; message: string };

/** The risk an unknown or undeclared tool is treated as. */
export const UNKNOWN_TOOL_RISK: Risk = "HIGH";

export function judge(requester: Requester, tool: Tool | undefined, config: PolicyConfig): Verdict {
  if (!tool) return notFound();
  const guest = requester.role === "guest";
  if (guest) {
    if (!tool.guestVisible) return notFound();
    if (config.profile === "private" && tool.risk !== "LOW") return notFound();
    if (config.profile === "shared" && !config.sharedGuestAllowedTools.has(tool.allowlistedAs ?? tool.name)) return notFound();
  }
  if (tool.risk === "CRITICAL" && config.profile === "shared" && !config.sharedAllowCritical) {
    return guest ? notFound() : { kind: "refuse", code: "denied", message: "CRITICAL tools are off in the shared profile (ORA_SHARED_ALLOW_CRITICAL)" };
  }
  return needsApproval(tool.risk) ? { kind: "approve" } : { kind: "run" };
}

export function needsApproval(risk: Risk): boolean {
  return risk === "HIGH" || risk === "CRITICAL";
}

/** A requester sees a tool exactly when it may call it (directly or after an approval). */
export function visible(requester: Requester, tool: Tool, config: PolicyConfig): boolean {
  return judge(requester, tool, config).kind !== "refuse";
}

function notFound(): Verdict {
  return { kind: "refuse", code: "not_found", message: "no such tool" };
}
