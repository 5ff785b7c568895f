import { statSync } from "node:fs";
import { compareAgentVersions, RELAY_HTTP } from "@ora/protocol";
import { PairedDevices } from "../secure/paired-devices.js";
import { loadProviders } from "../llm/config.js";
import type { ChatProvider } from "../llm/types.js";
import { redact } from "../log.js";
import { toolConfigFor } from "../safety/tool-config.js";
import { detectSandbox } from "../tools/sandbox/index.js";
import { processAlive, readNodeFile, readStatus } from "../state.js";
import { newerAgentLine, newerRelease, readReleaseNews } from "../update/release-news.js";
import { AGENT_VERSION } from "../version.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";
import { connectionWords, discordOverview, setupLine } from "./discord-status.js";
import { secretsCheck } from "./secrets.js";
import type { CommandLine } from "./invocation.js";

/** One line of the report. Essential checks decide the exit code; the others only advise. */
interface Check {
  name: string;
  ok: boolean;
  essential: boolean;
  detail: string;
  fix?: string;
}

const RELAY_TIMEOUT_MS = 3_000;
const PROBE_TIMEOUT_MS = 20_000;

export const doctorCommand: Command = {
  usage: `Usage: ora-agent doctor [--probe] [--json]

Checks this profile's setup and prints one line per check, ✓ or ✗, with what to
do about each ✗: the state directory and its permissions, registration with the
relay, the relay's reachability, whether the agent is running and up to date
(as its relay last said: an agent older than the relay accepts fails), the language-model
providers, the folders shared with tools (ORA_TOOL_ROOTS), the program sandbox
(bubblewrap, sandbox-exec; ORA_SANDBOX=off turns it off), the paired devices and
the Discord channel (as the running agent last reported it; doctor does not
contact Discord).

  --probe   also send each usable provider a tiny real request (this costs a
            few tokens on paid providers)
  --json    the checks as JSON

Exit code 0 when every essential check passes (state directory, registration,
relay, tool folders, and with --probe at least one provider answering); the
agent not running, no provider or no paired device only advise.`,
  options: { probe: { type: "boolean" }, json: { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags);
    const dir = config.stateDir;
    const cli = config.cli;
    const checks: Check[] = [stateDirCheck(dir, cli)];
    const credential = attempt("registration", () => readNodeFile(dir));
    const node = credential.read ? credential.value : null;
    if (!credential.read) checks.push(credential.check);
    else if (node) checks.push({ name: "registration", ok: true, essential: true, detail: `node ${node.nodeId} at ${node.relay}` });
    else checks.push({ name: "registration", ok: false, essential: true, detail: "this PC is not registered with a relay", fix: `run ${cli("start")}` });
    checks.push(secretsCheck(dir));
    checks.push(await relayCheck(node?.relay ?? config.relay));
    checks.push(runningCheck(dir, cli));
    checks.push(versionCheck(dir, cli));
    checks.push(...(await providerChecks(dir, flags.probe === true, cli)));
    checks.push(toolRootsCheck(dir));
    checks.push(sandboxCheck());
    checks.push(devicesCheck(dir, cli));
    checks.push(discordCheck(dir, cli));

    const failed = checks.filter((c) => !c.ok && c.essential).length;
    const advisory = checks.filter((c) => !c.ok && !c.essential).length;
    if (flags.json) process.stdout.write(`${JSON.stringify({ ok: failed === 0, checks }, null, 2)}\n`);
    else process.stdout.write(report(checks, failed, advisory));
    return failed === 0 ? 0 : 1;
  },
};

function report(checks: Check[], failed: number, advisory: number): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => [
    `${c.ok ? "✓" : "✗"} ${c.name.padEnd(width)}  ${c.detail}${!c.ok && !c.essential ? " (optional)" : ""}`,
    ...(c.ok || !c.fix ? [] : [`  ${" ".repeat(width)}  → ${c.fix}`]),
  ]);
  lines.push(
    "",
    failed === 0
      ? `all essential checks passed${advisory ? `; ${advisory} optional one${advisory === 1 ? "" : "s"} did not` : ""}`
      : `${failed} essential check${failed === 1 ? "" : "s"} failed`,
  );
  return `${lines.join("\n")}\n`;
}

/** Runs a reader that may throw a UserError (a damaged file) and turns that into a failed check. */
function attempt<T>(name: string, read: () => T): { read: true; value: T } | { read: false; check: Check } {
  try {
    return { read: true, value: read() };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { read: false, check: { name, ok: false, essential: true, detail: error.message } };
  }
}

function stateDirCheck(dir: string, cli: CommandLine): Check {
  const name = "state directory";
  let mode: number;
  try {
    const stat = statSync(dir);
    if (!stat.isDirectory()) return { name, ok: false, essential: true, detail: `${dir} is not a directory`, fix: `move it away, then run ${cli("start")}` };
    mode = stat.mode & 0o777;
  } catch {
    return { name, ok: false, essential: true, detail: `${dir} does not exist`, fix: `run ${cli("start")} to create and register this profile` };
  }
  // Windows has no POSIX modes; the directory lives in the user's own profile there.
  if (process.platform !== "win32" && (mode & 0o077) !== 0) {
    return { name, ok: false, essential: true, detail: `${dir} is readable by others (mode ${mode.toString(8)})`, fix: `chmod 700 "${dir}"` };
  }
  return { name, ok: true, essential: true, detail: `${dir} (owner only)` };
}

async function relayCheck(relay: string): Promise<Check> {
  const name = "relay";
  try {
    const response = await fetch(new URL(RELAY_HTTP.health.path, relay), { signal: AbortSignal.timeout(RELAY_TIMEOUT_MS) });
    if (response.ok) return { name, ok: true, essential: true, detail: `${relay} is reachable` };
    return {
      name,
      ok: false,
      essential: true,
      detail: `${relay} answered HTTP ${response.status}`,
      fix: "check that this URL is an ORA relay (--relay or ORA_RELAY_URL)",
    };
  } catch (error) {
    const why = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${RELAY_TIMEOUT_MS / 1000} s` : causeOf(error);
    return { name, ok: false, essential: true, detail: `cannot reach ${relay}: ${why}`, fix: "check the relay URL (--relay or ORA_RELAY_URL) and the network" };
  }
}

function runningCheck(dir: string, cli: CommandLine): Check {
  const name = "agent";
  const status = attempt(name, () => readStatus(dir));
  if (!status.read) return { ...status.check, essential: false };
  const s = status.value;
  if (s && s.status !== "stopped" && processAlive(s.pid))
    return { name, ok: true, essential: false, detail: `running (pid ${s.pid}), ${s.status} since ${s.since}` };
  return { name, ok: false, essential: false, detail: "not running", fix: `run ${cli("start")}` };
}

/** What the relay last said about agent releases: below its minimum is fatal, behind its newest only advice. */
function versionCheck(dir: string, cli: CommandLine): Check {
  const name = "agent version";
  const read = attempt(name, () => readReleaseNews(dir));
  if (!read.read) return { ...read.check, essential: false };
  const news = read.value;
  if (news?.minimum !== undefined && compareAgentVersions(AGENT_VERSION, news.minimum) < 0) {
    const install = news.latest ?? news.minimum;
    return {
      name,
      ok: false,
      essential: true,
      detail: `${AGENT_VERSION} is older than the relay accepts (${news.minimum})`,
      fix: `run ${cli("update")} (to ${install})`,
    };
  }
  const newer = newerRelease(news, AGENT_VERSION);
  if (newer) return { name, ok: false, essential: false, detail: newerAgentLine(newer, AGENT_VERSION), fix: `run ${cli("update")}` };
  return { name, ok: true, essential: false, detail: news?.latest ? `${AGENT_VERSION}, the newest the relay announces` : AGENT_VERSION };
}

async function providerChecks(dir: string, probe: boolean, cli: CommandLine): Promise<Check[]> {
  const loaded = attempt("providers", () => loadProviders(dir, process.env));
  if (!loaded.read) return [{ ...loaded.check, fix: "fix providers.json (see docs/PROVIDERS.md)" }];
  const { usable, all } = loaded.value;
  if (usable.length === 0) {
    const reasons = all.map((p) => `${p.name}: ${p.reason ?? "disabled"}`).join("; ");
    return [
      {
        name: "providers",
        ok: false,
        essential: false,
        detail: `none usable (${reasons})`,
        fix: "set OPENAI_API_KEY or ANTHROPIC_API_KEY (a local server such as Ollama: OPENAI_BASE_URL=http://127.0.0.1:11434/v1), or write providers.json (docs/PROVIDERS.md); chat still runs direct commands",
      },
    ];
  }
  const checks: Check[] = all.map((p) => ({
    name: `provider ${p.name}`,
    ok: p.usable && !p.warning,
    essential: false,
    detail: p.usable ? `${p.model} at ${p.host}${p.warning ? `: ${p.warning}` : ""}` : `disabled: ${p.reason ?? "unknown"}`,
  }));
  if (!probe) return checks;
  const probes = await Promise.all(usable.map(probeOne));
  checks.push(...probes);
  const answered = probes.filter((c) => c.ok).length;
  checks.push({
    name: "probe",
    ok: answered > 0,
    essential: true,
    detail: `${answered} of ${usable.length} usable provider${usable.length === 1 ? "" : "s"} answered`,
    fix: `see the provider lines above; ${cli("models")} shows the configuration`,
  });
  return checks;
}

async function probeOne(provider: ChatProvider): Promise<Check> {
  const name = `probe ${provider.id}`;
  const started = Date.now();
  try {
    let done = false;
    const request = {
      messages: [{ role: "user" as const, content: "Reply with the single word: ok" }],
      tools: [],
      maxTokens: 16,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    };
    for await (const event of provider.stream(request)) done ||= event.type === "done";
    if (!done) return { name, ok: false, essential: false, detail: "the stream ended without an answer" };
    return { name, ok: true, essential: false, detail: `answered in ${Date.now() - started} ms` };
  } catch (error) {
    // ProviderError messages carry no keys; anything else is passed through the same redaction as logs.
    return { name, ok: false, essential: false, detail: redact(error instanceof Error ? error.message : String(error)) };
  }
}

function toolRootsCheck(dir: string): Check {
  const name = "tool folders";
  const config = attempt(name, () => toolConfigFor(dir, process.env));
  if (!config.read) return { ...config.check, fix: "fix ORA_TOOL_ROOTS: absolute paths of existing folders, outside every ORA state directory" };
  const roots = config.value.roots;
  if (roots.length === 0)
    return {
      name,
      ok: false,
      essential: false,
      detail: "none shared, so file tools have nowhere to work",
      fix: "set ORA_TOOL_ROOTS to the folders the agent may use",
    };
  return { name, ok: true, essential: true, detail: roots.join(", ") };
}

/** Advisory: without a sandbox run.program still works, with the user's full rights. */
function sandboxCheck(): Check {
  const name = "program sandbox";
  const found = attempt(name, () => detectSandbox(process.env));
  if (!found.read) return { ...found.check, essential: false, fix: 'set ORA_SANDBOX to "on" or "off", or leave it unset' };
  const sandbox = found.value;
  if (sandbox.kind === "none") return { name, ok: false, essential: false, detail: `run.program runs without a sandbox: ${sandbox.reason}`, fix: sandbox.fix };
  return { name, ok: true, essential: false, detail: `${sandbox.kind} (${sandbox.path})` };
}

function devicesCheck(dir: string, cli: CommandLine): Check {
  const name = "paired devices";
  const devices = attempt(name, () => new PairedDevices(dir).list());
  if (!devices.read) return devices.check;
  const list = devices.value;
  if (list.length === 0)
    return { name, ok: false, essential: false, detail: "none yet", fix: `run ${cli("pair")} and enter the code on your phone or browser` };
  const owners = list.filter((d) => d.role === "owner").length;
  return { name, ok: true, essential: false, detail: `${list.length} (${owners} owner${owners === 1 ? "" : "s"})` };
}

/** Off is fine; set up, the running agent's own report says whether it works. */
function discordCheck(dir: string, cli: CommandLine): Check {
  const name = "discord";
  const read = attempt(name, () => discordOverview(dir));
  if (!read.read) return { ...read.check, essential: false, fix: `move the file away, or run ${setupLine(cli)} again` };
  const overview = read.value;
  const { config, connection } = overview;
  if (!config) return { name, ok: true, essential: false, detail: "off (not configured)" };
  if (!overview.tokenStored)
    return { name, ok: false, essential: false, detail: "set up, but no bot token is stored", fix: `run ${setupLine(cli, config.owner)}` };
  const detail = connectionWords(overview);
  switch (connection.state) {
    case "connected":
      return { name, ok: true, essential: false, detail };
    case "connecting":
      return { name, ok: false, essential: false, detail, fix: "wait a moment; if it stays so, the agent's log says why" };
    case "stopped":
      return {
        name,
        ok: false,
        essential: false,
        detail,
        fix: `fix what it says (a new token: ${setupLine(cli, config.owner)}), then restart the agent`,
      };
    case "not started":
      return { name, ok: false, essential: false, detail, fix: `stop the agent, then run ${cli("start")}` };
    case "agent not running":
      return { name, ok: false, essential: false, detail: "set up; the agent is not running", fix: `run ${cli("start")}` };
  }
}

function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}
