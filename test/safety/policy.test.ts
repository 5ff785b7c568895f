import { describe, expect, it } from "vitest";
import type { Profile } from "../../node-agent/src/config.js";
import { judge } from "../../node-agent/src/safety/policy.js";
import { policyConfig, type PolicyConfig } from "../../node-agent/src/safety/policy-config.js";
import { RISKS, type Requester, type Risk } from "../../node-agent/src/safety/tool.js";
import { alice, bob, echoTool, gus } from "./fixtures.js";

type Outcome = "run" | "approve" | "not_found" | "denied";
const row = (LOW: Outcome, MEDIUM: Outcome, HIGH: Outcome, CRITICAL: Outcome): Record<Risk, Outcome> => ({ LOW, MEDIUM, HIGH, CRITICAL });

// role × profile × allowlisted × ORA_SHARED_ALLOW_CRITICAL → outcome per risk, for a guestVisible tool.
const MATRIX: Array<[Requester, Profile, boolean, boolean, Record<Risk, Outcome>]> = [
  [alice, "private", false, false, row("run", "run", "approve", "approve")],
  [bob, "private", false, false, row("run", "run", "approve", "approve")],
  [gus, "private", false, false, row("run", "not_found", "not_found", "not_found")],
  [gus, "private", true, false, row("run", "not_found", "not_found", "not_found")],
  [alice, "shared", false, false, row("run", "run", "approve", "denied")],
  [bob, "shared", false, false, row("run", "run", "approve", "denied")],
  [gus, "shared", false, false, row("not_found", "not_found", "not_found", "not_found")],
  [gus, "shared", true, false, row("run", "run", "approve", "not_found")],
  [alice, "shared", false, true, row("run", "run", "approve", "approve")],
  [gus, "shared", true, true, row("run", "run", "approve", "approve")],
  [gus, "shared", false, true, row("not_found", "not_found", "not_found", "not_found")],
];

function outcome(requester: Requester, risk: Risk, config: PolicyConfig, guestVisible = true): Outcome {
  const verdict = judge(requester, echoTool(`echo.${risk.toLowerCase()}`, risk, guestVisible, []), config);
  return verdict.kind === "refuse" ? verdict.code : verdict.kind;
}

describe("the policy decision table", () => {
  for (const [requester, profile, allowlisted, allowCritical, expected] of MATRIX) {
    const label = `${requester.role} in ${profile}${allowlisted ? ", allowlisted" : ""}${allowCritical ? ", ORA_SHARED_ALLOW_CRITICAL=1" : ""}`;
    it(`decides ${label}: ${RISKS.map((r) => `${r} → ${expected[r]}`).join(", ")}`, () => {
      const config = policyConfig(profile, {
        ORA_SHARED_GUEST_ALLOWED_TOOLS: allowlisted ? "echo.low,echo.medium,echo.high,echo.critical" : "",
        ORA_SHARED_ALLOW_CRITICAL: allowCritical ? "1" : "0",
      });
      for (const risk of RISKS) expect(outcome(requester, risk, config), risk).toBe(expected[risk]);
    });
  }

  it("never lets a guest use a tool that is not guestVisible, whatever the allowlist and profile", () => {
    for (const profile of ["private", "shared"] as const) {
      const config = policyConfig(profile, { ORA_SHARED_GUEST_ALLOWED_TOOLS: "echo.low", ORA_SHARED_ALLOW_CRITICAL: "1" });
      expect(outcome(gus, "LOW", config, false)).toBe("not_found");
      expect(outcome(alice, "LOW", config, false)).toBe("run");
    }
  });

  it("refuses an unknown tool as not_found for every role", () => {
    const config = policyConfig("private");
    for (const requester of [alice, bob, gus]) expect(judge(requester, undefined, config)).toMatchObject({ kind: "refuse", code: "not_found" });
  });

  it("reads the allowlist as a trimmed comma list and matches names exactly", () => {
    const config = policyConfig("shared", { ORA_SHARED_GUEST_ALLOWED_TOOLS: " echo.low , ,echo.medium" });
    expect([...config.sharedGuestAllowedTools]).toEqual(["echo.low", "echo.medium"]);
    expect(judge(gus, echoTool("echo.lo", "LOW", true, []), config)).toMatchObject({ kind: "refuse" });
  });

  it("reads its settings from the environment, lets flags override them, and rejects nonsense", () => {
    const config = policyConfig(
      "private",
      { ORA_APPROVAL_TTL_SEC: "60", ORA_APPROVAL_TTL_CRITICAL_SEC: "30", ORA_RATE_HIGH: "3", ORA_CODE_LOCKOUT_SEC: "10" },
      { maxPendingPerRequester: 2 },
    );
    expect(config).toMatchObject({ approvalTtlMs: 60_000, criticalApprovalTtlMs: 30_000, codeLockoutMs: 10_000, maxPendingPerRequester: 2 });
    expect(config.ratePerMinute.HIGH).toBe(3);
    expect(policyConfig("private")).toMatchObject({ approvalTtlMs: 3_600_000, criticalApprovalTtlMs: 600_000 });
    expect(() => policyConfig("private", { ORA_APPROVAL_TTL_SEC: "-5" })).toThrow(/whole number above 0/);
    expect(() => policyConfig("private", { ORA_APPROVAL_TTL_SEC: "1e3" })).toThrow(/whole number above 0/);
    expect(() => policyConfig("shared", { ORA_SHARED_ALLOW_CRITICAL: "yes" })).toThrow(/must be 1 or 0/);
  });
});
