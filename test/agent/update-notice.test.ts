/**
 * Telling the owner about a newer agent: once per version to the owner's devices (remembered across
 * restarts), once per run in the terminal, and in `status` and `doctor` at any time.
 */
import { createLogger, heardReleases, PairedDevices, releaseAnnouncer } from "ora-agent";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand } from "../helpers/agent.js";

const quiet = createLogger("error", () => undefined);
const KEY = "A".repeat(43);

describe("newer agent notice", () => {
  it("reports a newer release, and asks to announce each version once, whatever the reconnects", () => {
    const dir = newStateDir();
    expect(heardReleases(dir, { agentLatest: "0.2.0" }, "0.2.0")).toEqual({ newer: null, announce: false });
    expect(heardReleases(dir, { agentLatest: "0.3.0" }, "0.2.0")).toEqual({ newer: "0.3.0", announce: true });
    expect(heardReleases(dir, { agentLatest: "0.3.0" }, "0.2.0")).toEqual({ newer: "0.3.0", announce: false });
    expect(heardReleases(dir, {}, "0.2.0")).toEqual({ newer: null, announce: false });
    expect(heardReleases(dir, { agentLatest: "0.3.0" }, "0.2.0")).toEqual({ newer: "0.3.0", announce: false });
    expect(heardReleases(dir, { agentLatest: "0.4.0" }, "0.2.0")).toEqual({ newer: "0.4.0", announce: true });
  });

  it("notifies every owner device, and only owners, once per version, and tells the terminal once per run", () => {
    const dir = newStateDir();
    const paired = new PairedDevices(dir);
    for (const [id, role] of [
      ["owner-phone", "owner"],
      ["owner-laptop", "owner"],
      ["guest-phone", "guest"],
    ] as const)
      paired.add({ id, name: id, role, publicKey: KEY, pairedAt: new Date().toISOString() });
    const sent: { device: string; body: string }[] = [];
    const out: string[] = [];
    const announcer = () =>
      releaseAnnouncer({
        stateDir: dir,
        profile: "private",
        current: "0.2.0",
        paired,
        notifier: { notify: async (device, body) => (sent.push({ device, body: body.body }), "sent") },
        out: (line) => out.push(line),
        log: quiet,
      });
    const firstRun = announcer();
    firstRun({ agentLatest: "0.3.0" });
    firstRun({ agentLatest: "0.3.0" }); // a reconnect
    expect(sent.map((s) => s.device).sort()).toEqual(["owner-laptop", "owner-phone"]);
    expect(sent[0]!.body).toContain("0.3.0");
    expect(out).toEqual(["ora-agent: a newer agent is available: 0.3.0 (you have 0.2.0); run ora-agent update"]);
    const secondRun = announcer(); // the agent restarted
    secondRun({ agentLatest: "0.3.0" });
    expect(sent).toHaveLength(2);
    expect(out).toHaveLength(2);
    secondRun({ agentLatest: "0.4.0" });
    expect(sent).toHaveLength(4);
  });

  it("shows a newer agent in status and doctor, and fails doctor when the relay's minimum is above this agent", async () => {
    const dir = newStateDir();
    writeFileSync(join(dir, "agent-releases.json"), JSON.stringify({ heardAt: new Date().toISOString(), latest: "99.1.0" }));
    const status = await runAgentCommand(["status", "--state-dir", dir]);
    expect(status.stdout).toMatch(/a newer agent is available: 99\.1\.0 \(you have \d+\.\d+\.\d+\S*\); run ora-agent update/);
    expect(JSON.parse((await runAgentCommand(["status", "--json", "--state-dir", dir])).stdout)).toMatchObject({ newerVersion: "99.1.0" });
    const advice = await runAgentCommand(["doctor", "--json", "--state-dir", dir, "--relay", "http://127.0.0.1:9"]);
    expect(JSON.parse(advice.stdout).checks).toContainEqual(
      expect.objectContaining({ name: "agent version", ok: false, essential: false, fix: expect.stringMatching(/^run (npx )?ora-agent update --state-dir /) }),
    );

    writeFileSync(join(dir, "agent-releases.json"), JSON.stringify({ heardAt: new Date().toISOString(), latest: "99.1.0", minimum: "99.0.0" }));
    const doctor = await runAgentCommand(["doctor", "--state-dir", dir, "--relay", "http://127.0.0.1:9"]);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ agent version\s+\S+ is older than the relay accepts \(99\.0\.0\)/);
    expect(doctor.stdout).toMatch(/run (npx )?ora-agent update --state-dir \S+ --relay \S+ \(to 99\.1\.0\)/);
  });
});
