/**
 * Tool settings from the environment: the shared roots and the state exclusions come from the safety
 * core's toolConfigFor (ORA_TOOL_ROOTS, one rule in one place); the limits can be tuned with
 * ORA_FETCH_MAX_BYTES, ORA_FETCH_TIMEOUT_MS, ORA_FETCH_MAX_REDIRECTS, ORA_RUN_TIMEOUT_MS and
 * ORA_RUN_MAX_OUTPUT_BYTES.
 */
import { UserError } from "../errors.js";
import { DEFAULT_TOOL_LIMITS, toolConfigFor } from "../safety/tool-config.js";
import type { ToolConfig } from "../safety/tool.js";

export function toolConfigFromEnv(env: NodeJS.ProcessEnv, stateDir: string): ToolConfig {
  const base = toolConfigFor(stateDir, env);
  const d = DEFAULT_TOOL_LIMITS;
  return {
    ...base,
    fetch: {
      maxBytes: limit(env, "ORA_FETCH_MAX_BYTES", d.fetch.maxBytes, 64 * 1024 * 1024),
      timeoutMs: limit(env, "ORA_FETCH_TIMEOUT_MS", d.fetch.timeoutMs, 300_000),
      maxRedirects: limit(env, "ORA_FETCH_MAX_REDIRECTS", d.fetch.maxRedirects, 20, 0),
    },
    run: {
      timeoutMs: limit(env, "ORA_RUN_TIMEOUT_MS", d.run.timeoutMs, 3_600_000),
      maxOutputBytes: limit(env, "ORA_RUN_MAX_OUTPUT_BYTES", d.run.maxOutputBytes, 64 * 1024 * 1024),
    },
  };
}

function limit(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new UserError(`${name} must be a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new UserError(`${name} must be between ${min} and ${max}`);
  return value;
}
