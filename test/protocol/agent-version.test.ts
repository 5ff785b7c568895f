/** Agent versions: SemVer 2.0.0 precedence, and nothing that merely looks like a version. */
import { AgentReleases, agentVersionOf, compareAgentVersions, decodeFrame, isAgentVersion, RelayToAgentFrame } from "@ora/protocol";
import { describe, expect, it } from "vitest";

describe("agent versions", () => {
  it("orders versions by SemVer 2.0.0 precedence, numbers as numbers and pre-releases before their release", () => {
    // The example chain from semver.org §11, then numeric fields that text order would get wrong.
    const ordered = [
      "1.0.0-alpha",
      "1.0.0-alpha.1",
      "1.0.0-alpha.beta",
      "1.0.0-beta",
      "1.0.0-beta.2",
      "1.0.0-beta.11",
      "1.0.0-rc.1",
      "1.0.0",
      "1.0.1",
      "1.2.0",
      "1.10.0",
      "2.0.0",
      "10.0.0",
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(Math.sign(compareAgentVersions(ordered[i]!, ordered[j]!)), `${ordered[i]} vs ${ordered[j]}`).toBe(Math.sign(i - j));
      }
    }
  });

  it("ignores build metadata when comparing", () => {
    expect(compareAgentVersions("1.2.3+build.7", "1.2.3")).toBe(0);
  });

  it("accepts only MAJOR.MINOR.PATCH versions and refuses to compare anything else", () => {
    for (const bad of ["1.2", "v1.2.3", "1.2.3.4", "01.2.3", "1.2.3-", "latest", "", " 1.2.3", "1.2.3-01", `1.2.${"9".repeat(20)}`]) {
      expect(isAgentVersion(bad), bad).toBe(false);
      expect(() => compareAgentVersions(bad, "1.0.0")).toThrow(RangeError);
    }
  });

  it("reads the version from a hello's agent name only when it is an ora-agent's", () => {
    expect(agentVersionOf("ora-agent/1.4.2")).toBe("1.4.2");
    expect(agentVersionOf("ora-agent/1.4")).toBeNull();
    expect(agentVersionOf("other-agent/1.4.2")).toBeNull();
    expect(agentVersionOf(undefined)).toBeNull();
  });

  it("carries the relay's agent releases in the agent's welcome and its upgrade_required refusal", () => {
    const welcome = decodeFrame(
      JSON.stringify({
        t: "welcome",
        v: 1,
        node: "n",
        limits: { maxMessageBytes: 1, maxPending: 1, maxPendingPerSession: 1, timeoutSec: 1, streamMaxSec: 1, windowBytes: 1 },
        sessions: [],
        agentLatest: "1.4.0",
        agentMinimum: "1.2.0",
      }),
      RelayToAgentFrame,
    );
    expect(welcome.ok && welcome.header).toMatchObject({ agentLatest: "1.4.0", agentMinimum: "1.2.0" });
    const refusal = decodeFrame(
      JSON.stringify({ t: "err", code: "upgrade_required", message: "old", agentLatest: "1.4.0", agentMinimum: "1.2.0" }),
      RelayToAgentFrame,
    );
    expect(refusal.ok && refusal.header).toMatchObject({ code: "upgrade_required", agentLatest: "1.4.0" });
    expect(AgentReleases.safeParse({ agentLatest: "soon" }).success).toBe(false);
  });
});
