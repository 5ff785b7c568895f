/**
 * The agent's version, read at run time from its own package.json: the number npm packs and publishes
 * is the one `--version`, the hello to the relay and the MCP client name report. This file sits one
 * level below the package root both as src/version.ts and as dist/version.js, in the repository and in
 * an installed package alike (npm always packs package.json).
 */
import { readFileSync } from "node:fs";

// Read with a plain check, not a schema library: `ora-agent --help` and `--version` load this file
// and nothing heavier.
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
if (typeof version !== "string" || version === "") throw new Error("the agent's package.json has no version");

export const AGENT_VERSION: string = version;

/** How the agent names itself in its hello to the relay. */
export const AGENT_NAME = `ora-agent/${AGENT_VERSION}`;
