/**
 * `<stateDir>/mcp.json`: which Model Context Protocol servers the agent starts or connects to, and how
 * the owner rates their tools. Every tool of a server counts as HIGH (each call waits for an approval)
 * unless the owner names it under "tools" with another risk; guests never see one unless it is marked
 * `"guests": true` there (and the shared profile's allowlist still applies).
 *
 *     {"servers": [{"name": "fs", "command": "npx", "args": ["mcp-server-filesystem", "/some/dir"]},
 *                  {"name": "web", "url": "http://127.0.0.1:3001/mcp"}],
 *      "tools": {"fs.read_file": {"risk": "MEDIUM"}}}
 *
 * HTTP servers must be on this PC (localhost, 127.0.0.1, [::1]): a remote server would see every
 * argument the secretary passes, and that is a decision for a separate, explicit feature.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { RISKS } from "../safety/tool.js";

export const MCP_CONFIG_FILE = "mcp.json";
const MAX_CONFIG_BYTES = 256 * 1024;

/** Server names become the middle part of tool names (`mcp.<server>.<tool>`): no dots. */
export const SERVER_NAME = /^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$/;
export const LOCAL_HOSTS: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

const timeoutMs = z.number().int().min(1_000).max(600_000).optional();
const common = { name: z.string().max(32).regex(SERVER_NAME, "must be lower-case letters and digits joined by _ or - (no dots)"), timeoutMs };

const StdioServer = z.strictObject({
  ...common,
  transport: z.literal("stdio"),
  command: z.string().min(1).max(4096),
  args: z.array(z.string().max(4096)).max(100).default([]),
  /** Added to a minimal environment (PATH, HOME…): the agent's own variables are not passed on. */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not an environment variable name"), z.string().max(32_768)).default({}),
  cwd: z.string().min(1).max(4096).optional(),
  /** Run it in the program sandbox (see mcp/sandbox.ts); not started where the PC has none. */
  sandbox: z.boolean().default(false),
  /** With `sandbox`: let it reach the network, which the sandbox otherwise cuts. */
  network: z.boolean().default(false),
});

const HttpServer = z.strictObject({
  ...common,
  transport: z.literal("http"),
  url: z
    .string()
    .max(2048)
    .refine((text) => URL.canParse(text), "is not a URL")
    .refine((text) => isLocalUrl(text), "must be an http(s) URL on this PC (localhost, 127.0.0.1 or [::1]); other hosts are refused"),
});

/**
 * A server entry is stdio when it has a command and HTTP when it has a url. The transport is filled in
 * before checking so that a mistake is reported against the right kind of entry, not as "no union
 * member matched".
 */
const Server = z.preprocess(
  (value) => (value !== null && typeof value === "object" && !("transport" in value) ? { ...value, transport: "url" in value ? "http" : "stdio" } : value),
  z.discriminatedUnion("transport", [StdioServer, HttpServer]),
);

const ToolSetting = z.strictObject({ risk: z.enum(RISKS).optional(), guests: z.boolean().optional() });

export const McpConfigSchema = z
  .strictObject({
    servers: z.array(Server).max(32).default([]),
    /** Keyed by "<server>.<tool>", the tool's name as the server gives it. */
    tools: z.record(z.string().max(200), ToolSetting).default({}),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.servers.forEach((server, index) => {
      if (seen.has(server.name)) ctx.addIssue({ code: "custom", path: ["servers", index, "name"], message: `"${server.name}" is used twice` });
      seen.add(server.name);
      if (server.transport === "stdio" && server.network && !server.sandbox)
        ctx.addIssue({
          code: "custom",
          path: ["servers", index, "network"],
          message: 'only applies with "sandbox": true (an unsandboxed server has the network anyway)',
        });
    });
  });

export type McpConfig = z.infer<typeof McpConfigSchema>;
export type McpServerConfig = McpConfig["servers"][number];
export type StdioServerConfig = z.infer<typeof StdioServer>;
export type HttpServerConfig = z.infer<typeof HttpServer>;
export type McpToolSetting = z.infer<typeof ToolSetting>;

export function isLocalUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (url.protocol === "http:" || url.protocol === "https:") && LOCAL_HOSTS.has(url.hostname);
}

/** Checks a parsed mcp.json; `source` names it in the error. */
export function parseMcpConfig(value: unknown, source = MCP_CONFIG_FILE): McpConfig {
  const parsed = McpConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.length ? issue.path.join(".") : "(top level)"}: ${issue.message}`);
  throw new UserError(`${source} is not valid:\n  ${issues.join("\n  ")}`);
}

/** Reads `<stateDir>/mcp.json`; no file means no servers. */
export function loadMcpConfig(stateDir: string): McpConfig {
  const path = join(stateDir, MCP_CONFIG_FILE);
  if (!existsSync(path)) return parseMcpConfig({}, path);
  const text = readFileSync(path, "utf8");
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw new UserError(`${path} is larger than ${MAX_CONFIG_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseMcpConfig(value, path);
}
