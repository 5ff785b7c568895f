/**
 * The agent releases an operator sets (ORA_AGENT_LATEST, ORA_AGENT_MINIMUM): read from the settings,
 * announced in every agent's welcome, and an agent older than the minimum refused with the release
 * to install.
 */
import { CloseCode, encodeFrame } from "@ora/protocol";
import { describe, expect, it, vi } from "vitest";
import { agentReleases } from "../../worker/src/mux/handshake.js";
import { CONFIG, Harness, helloClient } from "./harness.js";

describe("agent release settings", () => {
  it("reads the newest and the minimum agent release, and leaves out what is not a version", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    expect(agentReleases(undefined, "")).toEqual({});
    expect(agentReleases(" 1.4.0 ", "1.2.0")).toEqual({ agentLatest: "1.4.0", agentMinimum: "1.2.0" });
    expect(agentReleases("v1.4", "latest")).toEqual({});
    expect(quiet).toHaveBeenCalledTimes(2);
    quiet.mockRestore();
  });

  it("raises a newest release below the minimum to the minimum, so that the version to install is accepted", () => {
    expect(agentReleases("1.1.0", "1.2.0")).toEqual({ agentLatest: "1.2.0", agentMinimum: "1.2.0" });
    expect(agentReleases(undefined, "1.2.0")).toEqual({ agentLatest: "1.2.0", agentMinimum: "1.2.0" });
  });
});

describe("agent handshake", () => {
  const releases = { agentLatest: "1.4.0", agentMinimum: "1.2.0" };
  const hello = (agent?: string) => encodeFrame({ t: "hello", v: 1, ...(agent ? { agent } : {}) });

  it("announces the releases in the agent's welcome, never in a client's", () => {
    const h = new Harness({ ...CONFIG, agentReleases: releases });
    const agent = h.connectAgent();
    h.send(agent, hello("ora-agent/1.4.0"));
    expect(agent.take()[0]?.header).toMatchObject({ t: "welcome", agentLatest: "1.4.0", agentMinimum: "1.2.0" });
    const alice = helloClient(h, "alice").socket;
    expect(alice.inbox.find((f) => f.header.t === "welcome")?.text).not.toMatch(/agentLatest|agentMinimum/);
  });

  it("welcomes an agent at the minimum or newer, pre-releases of a newer version included", () => {
    for (const version of ["1.2.0", "1.3.0-rc.1", "2.0.0"]) {
      const h = new Harness({ ...CONFIG, agentReleases: releases });
      const agent = h.connectAgent();
      h.send(agent, hello(`ora-agent/${version}`));
      expect(agent.take()[0]?.header.t, version).toBe("welcome");
      expect(agent.closed).toBeNull();
    }
  });

  it("refuses an agent below the minimum with upgrade_required naming the release to install, then closes with 4010", () => {
    for (const version of ["1.1.9", "1.2.0-rc.1", "0.9.0"]) {
      const h = new Harness({ ...CONFIG, agentReleases: releases });
      const agent = h.connectAgent();
      h.send(agent, hello(`ora-agent/${version}`));
      const [err, ...rest] = agent.take();
      expect(err?.header, version).toMatchObject({ t: "err", code: "upgrade_required", agentLatest: "1.4.0", agentMinimum: "1.2.0" });
      expect(err?.header.message).toContain(`not ora-agent ${version}; install ora-agent 1.4.0`);
      expect(rest).toEqual([]);
      expect(agent.closed?.code).toBe(CloseCode.UPGRADE_REQUIRED);
      expect(h.mux.snapshot().connected).toBe(false);
    }
  });

  it("refuses an agent that names no version while a minimum is set, and admits it when none is", () => {
    for (const name of [undefined, "ora-agent/new", "other-agent/9.9.9"]) {
      const h = new Harness({ ...CONFIG, agentReleases: releases });
      const agent = h.connectAgent();
      h.send(agent, hello(name));
      expect(agent.take()[0]?.header, String(name)).toMatchObject({ t: "err", code: "upgrade_required" });
      expect(agent.closed?.code).toBe(CloseCode.UPGRADE_REQUIRED);
    }
    const h = new Harness({ ...CONFIG, agentReleases: { agentLatest: "1.4.0" } });
    const agent = h.connectAgent();
    h.send(agent, hello());
    expect(agent.take()[0]?.header).toMatchObject({ t: "welcome", agentLatest: "1.4.0" });
  });
});
