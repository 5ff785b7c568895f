/** The agent's version has one source, node-agent/package.json, read by the built CLI at run time. */
import { readFileSync } from "node:fs";
import { AGENT_NAME, AGENT_VERSION } from "ora-agent";
import { describe, expect, it } from "vitest";
import { runAgentCommand } from "../helpers/agent.js";

const packageVersion = (JSON.parse(readFileSync(new URL("../../node-agent/package.json", import.meta.url), "utf8")) as { version: string }).version;

describe("ora-agent version", () => {
  it("prints node-agent/package.json's version for --version and -v", async () => {
    for (const flag of ["--version", "-v"]) {
      const run = await runAgentCommand([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`ora-agent ${packageVersion}\n`);
    }
  });

  it("names itself to the relay with the same version", () => {
    expect(AGENT_VERSION).toBe(packageVersion);
    expect(AGENT_NAME).toBe(`ora-agent/${packageVersion}`);
  });
});
