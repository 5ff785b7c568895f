/**
 * The agent's version, read at run time from its own package.json: the number npm packs and publishes
 * is the one `--version`, the hello to the relay and the MCP client name report. This file sits one
 * level below the package root both as src/version.ts and as dist/version.js, in the repository and in
 * an installed package alike (npm always packs package.json).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

const PackageJson = z.object({ version: z.string().min(1) });

export const AGENT_VERSION: string = PackageJson.parse(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))).version;

/** How the agent names itself in its hello to the relay. */
export const AGENT_NAME = `ora-agent/${AGENT_VERSION}`;
