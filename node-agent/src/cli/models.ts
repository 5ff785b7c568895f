import { existsSync } from "node:fs";
import { loadProviders, providersPath, type ProviderStatus } from "../llm/config.js";
import { configFrom, type Command } from "./command.js";

export const modelsCommand: Command = {
  usage: `Usage: ora-agent models [--json]

Lists the language-model providers this profile would use, in failover order:
name, API type, model, host, and whether it is usable or why not. Providers come
from <state dir>/providers.json when it exists, otherwise from OPENAI_API_KEY /
OPENAI_BASE_URL / ORA_OPENAI_MODEL and ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL /
ORA_ANTHROPIC_MODEL (see docs/PROVIDERS.md). Keys are never shown.
Exit code 0 when at least one provider is usable, 1 otherwise.`,
  options: { json: { type: "boolean" } },
  async run({ flags }) {
    const { stateDir } = configFrom(flags);
    const path = providersPath(stateDir);
    const { all } = loadProviders(stateDir, process.env);
    const fromFile = existsSync(path);
    const anyUsable = all.some((p) => p.usable);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ source: fromFile ? path : "environment", providers: all }, null, 2)}\n`);
      return anyUsable ? 0 : 1;
    }
    const lines = [fromFile ? `providers from ${path}, tried in this order:` : "providers from the environment (no providers.json), tried in this order:"];
    lines.push(...table(all));
    if (!anyUsable) lines.push("", "No provider is usable: chat answers only direct commands. See docs/PROVIDERS.md to add one.");
    for (const p of all) if (p.warning) lines.push(`warning: ${p.name}: ${p.warning}`);
    process.stdout.write(`${lines.join("\n")}\n`);
    return anyUsable ? 0 : 1;
  },
};

function table(all: ProviderStatus[]): string[] {
  const rows = all.map((p) => [
    p.usable ? "✓" : "✗",
    p.name,
    p.type,
    p.model,
    p.host,
    p.usable ? `usable (key: ${p.key})` : `disabled: ${p.reason ?? "unknown"}`,
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  return rows.map((row) => `  ${row.map((cell, i) => (i < widths.length ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ")}`);
}
