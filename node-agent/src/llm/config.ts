/**
 * Which language models the agent may use, decided by configuration alone:
 *
 * - `<stateDir>/providers.json`, when present, lists providers in failover order (see
 *   docs/PROVIDERS.md). Keys are named by environment variable (`apiKeyEnv`) or given literally.
 * - Otherwise the conventional variables: OPENAI_API_KEY / OPENAI_BASE_URL / ORA_OPENAI_MODEL, then
 *   ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL / ORA_ANTHROPIC_MODEL.
 *
 * A provider without a key is listed as disabled with the reason, never dropped silently. A server
 * on this machine may run without a key, but only when the configuration says so, so a forgotten
 * variable is never mistaken for a keyless setup: `"apiKey": "none"` in providers.json, or a base URL
 * variable (OPENAI_BASE_URL=http://127.0.0.1:11434/v1, Ollama) that points at this machine with no
 * key set beside it. Nobody sets that by accident, and no key can leak to a server that needs none.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import type { AdapterOptions } from "./adapter.js";
import { AnthropicProvider } from "./anthropic.js";
import { FailoverProvider } from "./failover.js";
import { OpenAIProvider } from "./openai.js";
import type { ChatProvider } from "./types.js";

export const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
export const DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5";
/** The value of `apiKey` that means "this local server needs no key". */
export const NO_KEY = "none";

const TYPES = {
  openai: { keyEnv: "OPENAI_API_KEY", baseURL: "https://api.openai.com/v1", create: (o: AdapterOptions) => new OpenAIProvider(o) },
  anthropic: { keyEnv: "ANTHROPIC_API_KEY", baseURL: "https://api.anthropic.com", create: (o: AdapterOptions) => new AnthropicProvider(o) },
} as const;
type ProviderType = keyof typeof TYPES;

const ProviderEntry = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, "letters, digits, '.', '_' or '-' (at most 40)"),
    type: z.enum(["openai", "anthropic"]),
    model: z.string().min(1).max(200),
    baseURL: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).optional(),
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
      .optional(),
    timeoutMs: z.number().int().min(100).max(600_000).optional(),
  })
  .refine((p) => p.apiKey === undefined || p.apiKeyEnv === undefined, "give apiKey or apiKeyEnv, not both");
type ProviderEntry = z.infer<typeof ProviderEntry>;

const ProvidersFile = z
  .strictObject({ providers: z.array(ProviderEntry) })
  .refine((file) => new Set(file.providers.map((p) => p.name)).size === file.providers.length, "provider names must be unique");

/** What `ora-agent models` and `doctor` show: everything but the key itself. */
export interface ProviderStatus {
  name: string;
  type: ProviderType;
  model: string;
  baseURL: string;
  host: string;
  source: "providers.json" | "environment";
  /** Where the key comes from ("env OPENAI_API_KEY", "providers.json", "none (local server)"). */
  key: string;
  usable: boolean;
  /** Why not usable, and what to do. */
  reason?: string;
  /** Usable, but worth fixing (a literal key in a file others can read). */
  warning?: string;
}

export interface LoadedProviders {
  /** In failover order. */
  usable: ChatProvider[];
  all: ProviderStatus[];
}

export const providersPath = (stateDir: string) => join(stateDir, "providers.json");

export function loadProviders(stateDir: string, env: NodeJS.ProcessEnv = process.env): LoadedProviders {
  const path = providersPath(stateDir);
  const file = readProvidersFile(path);
  const entries = file ? file.providers.map((entry) => ({ entry, source: "providers.json" as const })) : fromEnvironment(env);
  const loose = file?.providers.some((p) => p.apiKey !== undefined && p.apiKey !== NO_KEY) && readableByOthers(path);
  const usable: ChatProvider[] = [];
  const all = entries.map(({ entry, source }) => {
    const resolved = resolve(entry, source, env);
    if (resolved.provider) usable.push(resolved.provider);
    if (loose && resolved.status.key === "providers.json") resolved.status.warning = `${path} holds a key and others can read it: chmod 600 it`;
    return resolved.status;
  });
  return { usable, all };
}

/** One provider for the conversation loop: the usable ones with failover, or none at all. */
export function chatProviderFrom(usable: readonly ChatProvider[]): ChatProvider | undefined {
  if (usable.length === 0) return undefined;
  return usable.length === 1 ? usable[0] : new FailoverProvider(usable);
}

function readProvidersFile(path: string): z.infer<typeof ProvidersFile> | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message}); see docs/PROVIDERS.md`);
  }
  const parsed = ProvidersFile.safeParse(raw);
  if (!parsed.success) {
    // Issue messages quote what was wrong, never the values given, so a literal key stays out.
    const issues = parsed.error.issues.map((issue) => `${issue.path.length ? formatPath(issue.path) : "the file"}: ${issue.message}`);
    throw new UserError(`${path} is not a valid provider list:\n  ${issues.join("\n  ")}\nsee docs/PROVIDERS.md`);
  }
  return parsed.data;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((part, i) => (typeof part === "number" ? `[${part}]` : `${i ? "." : ""}${String(part)}`)).join("");
}

function fromEnvironment(env: NodeJS.ProcessEnv): { entry: ProviderEntry; source: "environment" }[] {
  const openai: ProviderEntry = { name: "openai", type: "openai", model: env.ORA_OPENAI_MODEL || DEFAULT_OPENAI_MODEL, apiKeyEnv: "OPENAI_API_KEY" };
  const anthropic: ProviderEntry = {
    name: "anthropic",
    type: "anthropic",
    model: env.ORA_ANTHROPIC_MODEL || DEFAULT_ANTHROPIC_MODEL,
    apiKeyEnv: "ANTHROPIC_API_KEY",
  };
  for (const [entry, baseURL] of [
    [openai, env.OPENAI_BASE_URL],
    [anthropic, env.ANTHROPIC_BASE_URL],
  ] as const) {
    if (!baseURL) continue;
    entry.baseURL = baseURL;
    if (!env[entry.apiKeyEnv!] && isLocalUrl(baseURL)) {
      delete entry.apiKeyEnv;
      entry.apiKey = NO_KEY;
    }
  }
  return [openai, anthropic].map((entry) => ({ entry, source: "environment" }));
}

function resolve(entry: ProviderEntry, source: ProviderStatus["source"], env: NodeJS.ProcessEnv): { status: ProviderStatus; provider?: ChatProvider } {
  const kind = TYPES[entry.type];
  const baseURL = entry.baseURL ?? kind.baseURL;
  const status: ProviderStatus = { name: entry.name, type: entry.type, model: entry.model, baseURL, host: "", source, key: "", usable: false };
  const disabled = (reason: string) => ({ status: { ...status, reason } });
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    return disabled(`the base URL "${baseURL}" is not a URL`);
  }
  status.host = url.host;
  const keyEnv = entry.apiKeyEnv ?? kind.keyEnv;
  const literal = entry.apiKey !== undefined;
  const apiKey = literal ? entry.apiKey : env[keyEnv];
  status.key = literal ? (apiKey === NO_KEY ? "none (local server)" : "providers.json") : `env ${keyEnv}`;
  if (!apiKey) {
    // Say exactly what would make it usable: for a server on this machine, that may be "no key".
    const inFile = source === "providers.json" ? ` (or "apiKey" in providers.json${isLocal(url) ? `, "${NO_KEY}" for a server that needs no key` : ""})` : "";
    const keyless = entry.baseURL !== undefined && !isLocal(url) ? `; only a server on this machine (localhost, 127.0.0.1, [::1]) is used without a key` : "";
    return disabled(`no API key: set ${keyEnv}${inFile}${keyless}`);
  }
  if (apiKey === NO_KEY && !isLocal(url)) return disabled(`"apiKey": "none" is only for a server on this machine, not ${url.host}`);
  if (url.protocol === "http:" && !isLocal(url)) return disabled(`plain http to ${url.host} would send the key unencrypted: use https://`);
  const timeoutMs = entry.timeoutMs;
  const provider = kind.create({ name: entry.name, model: entry.model, apiKey, baseURL, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  return { status: { ...status, usable: true }, provider };
}

function isLocalUrl(text: string): boolean {
  try {
    return isLocal(new URL(text));
  } catch {
    return false;
  }
}

function isLocal(url: URL): boolean {
  return ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

function readableByOthers(path: string): boolean {
  if (process.platform === "win32") return false;
  return (statSync(path).mode & 0o077) !== 0;
}
