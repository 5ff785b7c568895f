/**
 * `npm start` (scripts/dev.mjs) as a newcomer runs it, in a scratch copy of the checkout (its own
 * .dev.vars and .ora/dev, the real relay, agent and packages linked in) on a free port: the banner
 * shows no secret, and the commands it prints work when pasted into another terminal.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync } from "node:fs";
import { freePort } from "../helpers/ports.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_BIN, REPO_ROOT, runPasted } from "../helpers/agent.js";
import { until } from "../helpers/peer.js";

// The banner's commands must work in a shell that has none of these.
for (const name of ["ORA_STATE_DIR", "ORA_RELAY_URL", "ORA_PROFILE", "ORA_REMOTE_DIR", "ORA_TOOL_ROOTS"]) delete process.env[name];

/** A checkout of its own: the scripts copied (they find the checkout from where they are), everything else linked. */
function scratchCheckout(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "ora-npm-start-")));
  mkdirSync(join(dir, "scripts"));
  for (const file of readdirSync(join(REPO_ROOT, "scripts"))) copyFileSync(join(REPO_ROOT, "scripts", file), join(dir, "scripts", file));
  copyFileSync(join(REPO_ROOT, "wrangler.toml"), join(dir, "wrangler.toml"));
  for (const linked of ["node_modules", "node-agent", "protocol", "worker", "web", "package.json"]) symlinkSync(join(REPO_ROOT, linked), join(dir, linked));
  return dir;
}

/** The command a banner line offers after its label. */
function offered(banner: string, label: string): string {
  const line = banner.split("\n").find((l) => l.trimStart().startsWith(label));
  if (!line) throw new Error(`no "${label}" line in:\n${banner}`);
  return line.trimStart().slice(label.length).trim();
}

describe("npm start", () => {
  let checkout: string;
  let port: number;
  let dev: ChildProcess;
  let output = "";
  let banner = "";

  beforeAll(async () => {
    checkout = scratchCheckout();
    port = await freePort();
    dev = spawn(process.execPath, [join(checkout, "scripts", "dev.mjs")], {
      cwd: checkout,
      env: { ...process.env, ORA_DEV_PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    dev.stdout!.on("data", (d) => (output += d));
    dev.stderr!.on("data", (d) => (output += d));
    await until(() => output.includes("Pairing code:") || dev.exitCode !== null, 60_000, "npm start's pairing code");
    banner = output.slice(output.indexOf("ORA is running locally."));
  }, 90_000);
  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.on("exit", resolve));
      dev.kill("SIGINT");
      await exited;
    }
  });

  it("explains ORA_DEV_PORT in --help and in the banner", async () => {
    const help = await runPasted(`"${process.execPath}" scripts/dev.mjs --help`, {}, checkout);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("ORA_DEV_PORT");
    expect(help.stdout).toContain("ORA_TOOL_ROOTS");
    expect(banner).toContain(`relay        http://127.0.0.1:${port}`);
    expect(banner).toMatch(/Another port: ORA_DEV_PORT=\d+ npm start/);
  });

  it("never prints a secret from .dev.vars, and its metrics command reads the admin token when it runs", async () => {
    const secrets = readFileSync(join(checkout, ".dev.vars"), "utf8")
      .split("\n")
      .filter((line) => /^ORA_(TOKEN_PEPPER|ADMIN_TOKEN|VAPID_PRIVATE_KEY)=/.test(line))
      .map((line) => line.slice(line.indexOf("=") + 1));
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) expect(output).not.toContain(secret);
    const metrics = await runPasted(offered(banner, "metrics"), {}, checkout);
    expect(metrics.code).toBe(0);
    expect(JSON.parse(metrics.stdout)).toBeTypeOf("object");
  });

  it("shares .ora/dev/files with the agent's file tools and says so", () => {
    expect(existsSync(join(checkout, ".ora", "dev", "files"))).toBe(true);
    expect(banner).toContain("the agent's file tools work in .ora/dev/files (ORA_TOOL_ROOTS)");
  });

  it("prints one export line after which the CLI finds the dev agent, its relay and its shared folder", async () => {
    const exportLine = banner
      .split("\n")
      .find((line) => line.trimStart().startsWith("export "))!
      .trim();
    expect(exportLine).toBe(`export ORA_STATE_DIR=${join(checkout, ".ora", "dev", "agent")} ORA_TOOL_ROOTS=${join(checkout, ".ora", "dev", "files")}`);
    const doctor = await runPasted(`${exportLine} && "${process.execPath}" "${AGENT_BIN}" doctor`, {}, checkout);
    expect(doctor.stdout).toContain(`✓ relay            http://127.0.0.1:${port} is reachable`);
    expect(doctor.stdout).toMatch(/✓ agent {12}running/);
    expect(doctor.stdout).toContain(`✓ tool folders     ${join(checkout, ".ora", "dev", "files")}`);
  });

  it("prints agent commands that work pasted in another terminal, on whatever port it runs", async () => {
    const status = await runPasted(offered(banner, "status"), {}, checkout);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`relay       http://127.0.0.1:${port}`);
    const approvals = await runPasted(offered(banner, "approvals"), {}, checkout);
    expect(approvals).toMatchObject({ code: 0, stdout: "no approvals waiting\n" });

    // "pair more" on a relay that is not on the default port, then a terminal client through it,
    // whose file tools reach the shared folder.
    const pair = spawn("sh", ["-c", `${offered(banner, "pair more")} --yes --no-qr`], { cwd: checkout, env: { ...process.env, npm_config_offline: "true" } });
    let pairOutput = "";
    pair.stdout!.on("data", (d) => (pairOutput += d));
    pair.stderr!.on("data", (d) => (pairOutput += d));
    const paired = new Promise((resolve) => pair.on("exit", resolve));
    await until(() => /Pairing code: \S+/.test(pairOutput) || pair.exitCode !== null, 20_000, `a code from "pair more":\n${pairOutput}`);
    const code = /Pairing code: (\S+)/.exec(pairOutput)![1]!;
    const remote = await runPasted(
      offered(banner, "terminal")
        .replace("<code>", code)
        .replace(/\s+\(<code>.*$/, ""),
      {},
      checkout,
    );
    expect(remote.code).toBe(0);
    expect(await paired).toBe(0);
    const ask = banner
      .split("\n")
      .find((line) => line.includes('remote ask "/tools"'))!
      .trim();
    const tools = await runPasted(ask, {}, checkout);
    expect(tools).toMatchObject({ code: 0, stdout: expect.stringContaining("files.list (MEDIUM)") });
    const listed = await runPasted(ask.replace('"/tools"', "'/run files.list'"), {}, checkout);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ path: ".", entries: [], truncated: false });
  }, 60_000);

  // Last: it ends the run. Closing the terminal sends SIGHUP, which would end dev.mjs at once and leave
  // the relay and the agent (their own process groups) running and the port taken.
  it("stops the relay and the agent when its terminal closes", async () => {
    const exited = new Promise((resolve) => dev.on("exit", resolve));
    dev.kill("SIGHUP");
    await exited;
    expect(output).toContain("stopped: relay and agent are no longer running");
    const reachable = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    expect(reachable).toBe(false);
  }, 30_000);
});
