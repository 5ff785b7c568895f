#!/usr/bin/env node
/**
 * `npm start`: the whole of ORA on this machine. Starts the relay with `wrangler dev` on 127.0.0.1,
 * the agent against it (state in .ora/dev/), and shows a pairing code for a first device.
 * Ctrl-C stops everything it started, by PID, and waits until each process is gone.
 * The banner never shows a secret: commands that need one read it from .dev.vars when run.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateVapidKeys } from "./vapid-keys.mjs";
import { wranglerEnv } from "./wrangler-env.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const port = Number(process.env.ORA_DEV_PORT ?? 8787);
const relay = `http://127.0.0.1:${port}`;
const devDir = join(root, ".ora", "dev");
const agentState = join(devDir, "agent");
// The folder the agent's file tools may use: without one, files.* can only refuse.
const toolRoots = process.env.ORA_TOOL_ROOTS || join(devDir, "files");
const children = [];

const say = (line) => process.stdout.write(`${line}\n`);

const HELP = `npm start: the whole of ORA on this machine: the relay (wrangler dev on 127.0.0.1), the agent
connected to it, and a pairing code for a first device. Ctrl-C stops everything.

Environment:
  ORA_DEV_PORT     the relay's port (default 8787), e.g. ORA_DEV_PORT=8788 npm start when 8787 is taken
  ORA_TOOL_ROOTS   the folders the agent's file tools may use (default .ora/dev/files)

It keeps the relay's local secrets in .dev.vars and everything else in .ora/dev/ (the relay's storage,
the agent's state in .ora/dev/agent, shared files in .ora/dev/files); delete .ora/dev to start afresh.`;

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  say(HELP);
  process.exit(0);
}

/** A word as a POSIX shell reads it back unchanged (as node-agent/src/cli/invocation.ts quotes). */
const shellQuote = (word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/**
 * Local secrets for wrangler dev: generated once, readable only by this user. A .dev.vars from before
 * notifications existed gets its VAPID key pair added (the push services' allowlist stays as it is:
 * a browser's real push service is on it).
 */
async function ensureDevVars() {
  const path = join(root, ".dev.vars");
  if (!existsSync(path)) {
    const secret = () => randomBytes(24).toString("base64url");
    writeFileSync(path, `ORA_TOKEN_PEPPER=${secret()}\nORA_ADMIN_TOKEN=${secret()}\n`, { mode: 0o600 });
  }
  const vars = readFileSync(path, "utf8");
  if (/^ORA_VAPID_PRIVATE_KEY=/m.test(vars)) return;
  const vapid = await generateVapidKeys();
  const newline = vars === "" || vars.endsWith("\n") ? "" : "\n";
  appendFileSync(
    path,
    `${newline}ORA_VAPID_PUBLIC_KEY=${vapid.publicKey}\nORA_VAPID_PRIVATE_KEY=${vapid.privateKey}\nORA_VAPID_SUBJECT=mailto:ora-dev@localhost\n`,
  );
}

function start(name, command, args, env = {}) {
  // Each child leads its own process group, so stopping it stops what it started (workerd too).
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  children.push({ name, child, exited });
  return { child, exited };
}

async function waitFor(check, ms, what) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say("\nstopping…");
  for (const { child, group } of [...children].reverse()) {
    try {
      process.kill(group === false ? child.pid : -child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
  const timer = setTimeout(() => {
    for (const { child, group } of children) {
      try {
        process.kill(group === false ? child.pid : -child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 5000);
  await Promise.all(children.map((c) => c.exited));
  clearTimeout(timer);
  say("stopped: relay and agent are no longer running");
  process.exit(code);
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
// The terminal closed: the relay and the agent run in their own process groups and would outlive us.
process.on("SIGHUP", () => void stopAll(0));
// If whatever started us (npm, a terminal) goes away without passing on a signal, stop too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void stopAll(0);
}, 1000).unref();

async function main() {
  mkdirSync(devDir, { recursive: true, mode: 0o700 });
  if (!process.env.ORA_TOOL_ROOTS) mkdirSync(toolRoots, { recursive: true, mode: 0o700 });
  await ensureDevVars();
  const wranglerBin = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  say(`starting the relay (wrangler dev) on ${relay} …`);
  const wrangler = start(
    "relay",
    process.execPath,
    [wranglerBin, "dev", "--port", String(port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false", "--persist-to", join(devDir, "relay-state")],
    wranglerEnv(),
  );
  let relayLog = "";
  wrangler.child.stdout.on("data", (d) => (relayLog += d));
  wrangler.child.stderr.on("data", (d) => (relayLog += d));
  wrangler.exited.then((code) => {
    if (!stopping) {
      process.stderr.write(
        `the relay exited (${code}):\n${relayLog.slice(-2000)}\nIf port ${port} is taken, pick another: ORA_DEV_PORT=${port + 1} npm start\n`,
      );
      void stopAll(1);
    }
  });
  await waitFor(async () => (await fetch(`${relay}/healthz`).catch(() => null))?.ok === true, 60_000, "the relay");

  say("starting the agent …");
  const agentBin = join(root, "node-agent", "bin", "ora-agent.js");
  const agent = start("agent", process.execPath, [agentBin, "start", "--relay", relay, "--state-dir", agentState], { ORA_TOOL_ROOTS: toolRoots });
  let agentLog = "";
  // Every line of the agent's output gets the prefix, however the pipe chunks it.
  const prefixed = (text) => text.replace(/^(?=.)/gm, "[agent] ");
  agent.child.stdout.on("data", (d) => {
    agentLog += d;
    process.stdout.write(prefixed(String(d)));
  });
  agent.child.stderr.on("data", (d) => {
    agentLog += d;
    process.stderr.write(prefixed(String(d)));
  });
  agent.exited.then((code) => {
    if (!stopping) {
      process.stderr.write(`the agent exited (${code}); if it says its credential was rejected, delete .ora/dev and start again\n`);
      void stopAll(1);
    }
  });
  await waitFor(() => agentLog.includes("connected; waiting for requests"), 30_000, "the agent to connect");

  const node = JSON.parse(readFileSync(join(agentState, "node.json"), "utf8"));
  const shared = process.env.ORA_TOOL_ROOTS ? `ORA_TOOL_ROOTS=${process.env.ORA_TOOL_ROOTS}` : ".ora/dev/files (ORA_TOOL_ROOTS)";
  say(`
ORA is running locally.
  relay        ${relay}   (web client: ${relay}/)
  agent        Node ${node.nodeId}, state in .ora/dev/agent
  files        the agent's file tools work in ${shared}

In another terminal, in this folder, these commands reach this relay and agent:
  status       npx ora-agent status --state-dir .ora/dev/agent
  pair more    npx ora-agent pair --state-dir .ora/dev/agent
  approvals    npx ora-agent approvals --state-dir .ora/dev/agent
  terminal     npx ora-agent remote pair <code> --relay ${relay} --state-dir .ora/dev/remote   (<code>: the one below)
               npx ora-agent remote ask "/tools" --state-dir .ora/dev/remote
  metrics      curl -H "Authorization: Bearer $(grep ^ORA_ADMIN_TOKEN= .dev.vars | cut -d= -f2)" ${relay}/v1/admin/nodes/${node.nodeId}/metrics
To have every "npx ora-agent" command in a terminal use this agent without --state-dir, paste there:
  export ORA_STATE_DIR=${shellQuote(agentState)} ORA_TOOL_ROOTS=${shellQuote(toolRoots)}
Another port: ORA_DEV_PORT=${port === 8787 ? 8788 : 8787} npm start (npm start -- --help says more). Ctrl-C stops everything.
`);
  // A first pairing code, with the owner's confirmation prompt on this terminal. It shares our
  // process group (it reads the terminal), so it is stopped by PID rather than by group.
  const pair = spawn(process.execPath, [agentBin, "pair", "--relay", relay, "--state-dir", agentState, "--ttl", "900"], { cwd: root, stdio: "inherit" });
  const exited = new Promise((resolve) => pair.on("exit", (code, signal) => resolve(code ?? signal)));
  children.push({ name: "pair", child: pair, exited, group: false });
  exited.then((code) => {
    if (!stopping)
      say(
        code === 0
          ? "\nPaired. The relay and the agent keep running (Ctrl-C stops them)."
          : '\nNo device paired this time; run the "pair more" command above for a new code.',
      );
  });
}

main().catch((error) => {
  process.stderr.write(`npm start failed: ${error.message}\n`);
  void stopAll(1);
});
