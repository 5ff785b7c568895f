/**
 * The program sandbox: the argument vectors and profiles it builds, what this PC offers, and real
 * programs under real bubblewrap (CI installs it) failing to read the home folder and ORA's state,
 * to reach the network, and to outlive the agent.
 */
import { controlRequest } from "../../node-agent/src/control/client.js";
import { OraClient } from "@ora/protocol";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../node-agent/src/errors.js";
import { runProgramTool } from "../../node-agent/src/tools/run.js";
import { bwrapArgs, detectSandbox, type SandboxPlan, sbplString, seatbeltProfile } from "../../node-agent/src/tools/sandbox/index.js";
import { newStateDir, runAgentCommand, startAgent } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { until } from "../helpers/peer.js";
import { startRelay } from "../helpers/relay.js";
import { approvalFor } from "../helpers/tasks.js";
import { call, tempDir, toolContext, toolError } from "./context.js";

const node = process.execPath;
const sandbox = detectSandbox(process.env);
const runProgram = runProgramTool(sandbox);
const unconfined = runProgramTool({ kind: "none", off: true, reason: "off for this test", fix: "" });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/**
 * A home folder outside /tmp, which the sandbox empties anyway: only the home-folder rule can hide
 * this one. HOME points at it until the test ends.
 */
function fakeHome(): string {
  const home = realpathSync(mkdtempSync(join("/var/tmp", "ora-home-")));
  const before = process.env.HOME;
  process.env.HOME = home;
  cleanups.push(() => {
    process.env.HOME = before;
    rmSync(home, { recursive: true, force: true });
  });
  return home;
}

async function listening(server: Server, where: string | number): Promise<void> {
  await new Promise<void>((resolve) => (typeof where === "number" ? server.listen(where, "127.0.0.1", resolve) : server.listen(where, resolve)));
  cleanups.push(() => server.close());
}

/** A Node script that tries to connect and prints "connected" or the error code. */
const connectScript = (target: string) =>
  `require('net').connect(${target}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(1) })`;

/** Host pids whose command line contains `marker`: in its own PID namespace a program cannot tell us its real pid. */
function pidsWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Exists and is not a zombie waiting for its parent to collect it. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** A `sleep` no other process on this machine runs: its duration is the marker. Whatever is left of it goes after the test. */
function uniqueSleep(): string {
  const marker = `3599.${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}`;
  cleanups.push(() => {
    for (const pid of pidsWith(marker)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  });
  return marker;
}

const plan = (over: Partial<SandboxPlan> = {}): SandboxPlan => ({
  roots: ["/home/ann/work"],
  hidden: ["/home/ann"],
  excluded: [],
  cwd: "/home/ann/work",
  network: false,
  programs: [],
  ...over,
});
const everything = { exists: () => true };

describe("bwrapArgs", () => {
  it("shows a program that lives under the fresh /tmp again, read-only and alone; one elsewhere needs nothing", () => {
    const args = bwrapArgs(plan({ programs: ["/tmp/checkout/node_modules/node/bin/node"] }), everything);
    const at = args.indexOf("/tmp/checkout/node_modules/node/bin/node");
    expect(args.slice(at - 1, at + 2)).toEqual(["--ro-bind", "/tmp/checkout/node_modules/node/bin/node", "/tmp/checkout/node_modules/node/bin/node"]);
    // After the empty /tmp it reappears in, before the roots and the state.
    expect(at).toBeGreaterThan(args.indexOf("/tmp"));
    expect(bwrapArgs(plan({ programs: ["/usr/bin/node"] }), everything)).toEqual(bwrapArgs(plan(), everything));
  });

  it("mounts the system read-only, empties /tmp, /run and the home folder, binds the roots back writable and hides the state last", () => {
    const args = bwrapArgs(plan({ roots: ["/home/ann"], excluded: ["/home/ann/.ora"], cwd: "/home/ann" }), everything);
    expect(args).toEqual([
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--proc",
      "/proc",
      "--tmpfs",
      "/tmp",
      "--tmpfs",
      "/run",
      // The home folder is itself the shared root: sharing wins at the same depth.
      "--tmpfs",
      "/home/ann",
      "--bind",
      "/home/ann",
      "/home/ann",
      "--tmpfs",
      "/home/ann/.ora",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-net",
      "--new-session",
      "--die-with-parent",
      "--cap-drop",
      "ALL",
      "--chdir",
      "/home/ann",
      "--",
    ]);
  });

  it("keeps a home folder inside a root hidden and a root inside the home folder shared", () => {
    const args = bwrapArgs(plan({ roots: ["/home/ann/work", "/home"], hidden: ["/home/ann"] }), everything).join(" ");
    expect(args).toContain("--bind /home /home --tmpfs /home/ann --bind /home/ann/work /home/ann/work");
  });

  it("cuts the network unless the call allows it, and only then keeps the resolver's folder", () => {
    expect(bwrapArgs(plan(), everything)).toContain("--unshare-net");
    expect(bwrapArgs(plan(), everything).join(" ")).not.toContain("/run/systemd/resolve");
    const open = bwrapArgs(plan({ network: true }), everything);
    expect(open).not.toContain("--unshare-net");
    expect(open.join(" ")).toContain("--tmpfs /run --ro-bind /run/systemd/resolve /run/systemd/resolve");
  });

  it("leaves out what the host does not have: a state directory not created yet, /run", () => {
    const args = bwrapArgs(plan({ excluded: ["/home/ann/.ora"] }), { exists: (path) => path !== "/run" && path !== "/home/ann/.ora" });
    expect(args).not.toContain("/run");
    expect(args).not.toContain("/home/ann/.ora");
  });
});

describe("seatbeltProfile (macOS sandbox-exec)", () => {
  const profile = seatbeltProfile(
    plan({
      roots: ["/Users/ann/work/site", "/Volumes/data"],
      hidden: ["/Users/ann"],
      excluded: ["/Users/ann/Library/Application Support/ora"],
      cwd: "/Volumes/data",
    }),
  );
  const lines = profile.trim().split("\n");

  it("denies the network unless allowed, and every write except devices and the roots", () => {
    expect(lines.slice(0, 5)).toEqual([
      "(version 1)",
      "(allow default)",
      "(deny network*)",
      "(deny file-write*)",
      expect.stringMatching(/^\(allow file-write\* \(literal "\/dev\/null"\)/),
    ]);
    expect(profile).toContain('(allow file-read* file-write* (subpath "/Volumes/data"))');
    expect(seatbeltProfile(plan({ network: true }))).not.toContain("network");
  });

  it("hides the home folder, reopens a root inside it afterwards, and hides ORA's state last", () => {
    const at = (line: string) => lines.indexOf(line);
    const home = at('(deny file-read* file-write* (subpath "/Users/ann"))');
    const site = at('(allow file-read* file-write* (subpath "/Users/ann/work/site"))');
    expect(home).toBeGreaterThan(0);
    expect(site).toBeGreaterThan(home);
    // The root is reached through the hidden folders above it: they may be looked up, not listed.
    expect(profile).toContain('(allow file-read-metadata (literal "/Users/ann/work"))');
    expect(profile).toContain('(allow file-read-metadata (literal "/Users/ann"))');
    expect(lines.at(-1)).toBe('(deny file-read* file-write* (subpath "/Users/ann/Library/Application Support/ora"))');
  });

  it("escapes quotes and backslashes in paths and refuses control characters", () => {
    expect(sbplString('/Users/a"b\\c')).toBe('"/Users/a\\"b\\\\c"');
    expect(() => sbplString("/Users/a\nb")).toThrow(/control characters/);
  });
});

describe("detectSandbox", () => {
  it("is off with ORA_SANDBOX=off, and refuses a value it does not know", () => {
    expect(detectSandbox({ ...process.env, ORA_SANDBOX: "off" }, "linux")).toMatchObject({
      kind: "none",
      off: true,
      reason: expect.stringContaining("ORA_SANDBOX=off"),
    });
    expect(() => detectSandbox({ ...process.env, ORA_SANDBOX: "maybe" }, "linux")).toThrow(UserError);
  });

  it("finds none on Linux without bwrap on PATH, and says how to install it", () => {
    expect(detectSandbox({ PATH: tempDir() }, "linux")).toMatchObject({
      kind: "none",
      off: false,
      fix: expect.stringContaining("sudo apt install bubblewrap"),
    });
  });

  it("finds bubblewrap on this machine, and none on Windows", () => {
    expect(sandbox).toMatchObject({ kind: "bubblewrap", path: expect.stringMatching(/\/bwrap$/) });
    expect(detectSandbox({ PATH: process.env.PATH }, "win32")).toMatchObject({ kind: "none", reason: expect.stringContaining("Windows") });
  });

  it("says in run.program's description whether programs run in a sandbox", () => {
    expect(runProgram.description).toContain("runs in a sandbox (bubblewrap)");
    const none = detectSandbox({ PATH: tempDir() }, "linux");
    expect(runProgramTool(none).description).toContain("runs without a sandbox on this PC: bubblewrap (bwrap) is not installed");
  });
});

describe("ora-agent doctor", () => {
  const sandboxCheck = async (env: Record<string, string>) => {
    const doctor = await runAgentCommand(["doctor", "--json", "--state-dir", newStateDir(), "--relay", "http://127.0.0.1:9"], env);
    const checks: { name: string; ok: boolean; essential: boolean; detail: string; fix?: string }[] = JSON.parse(doctor.stdout).checks;
    return checks.find((check) => check.name === "program sandbox");
  };

  it("shows the sandbox it found, and warns with the fix when it is off or missing", async () => {
    const [found, off, missing] = await Promise.all([sandboxCheck({}), sandboxCheck({ ORA_SANDBOX: "off" }), sandboxCheck({ PATH: tempDir() })]);
    expect(found).toMatchObject({ ok: true, detail: expect.stringContaining("bubblewrap") });
    expect(off).toMatchObject({
      ok: false,
      essential: false,
      detail: expect.stringContaining("runs without a sandbox: the sandbox is turned off (ORA_SANDBOX=off)"),
      fix: expect.stringContaining("unset ORA_SANDBOX"),
    });
    expect(missing).toMatchObject({ ok: false, fix: expect.stringContaining("sudo apt install bubblewrap") });
  });
});

describe("run.program in bubblewrap", () => {
  beforeAll(() => {
    // Never skipped: CI installs bubblewrap (.ci/run), and without it every test below would prove nothing.
    expect(sandbox.kind).toBe("bubblewrap");
  });

  it("cannot read a file in the home folder, yet works in a root inside it", async () => {
    const home = fakeHome();
    writeFileSync(join(home, "secret.txt"), "hunter2");
    const ctx = toolContext({ roots: [tempDir()] });
    const read = await call(runProgram, { argv: ["cat", join(home, "secret.txt")] }, ctx);
    expect(read.exitCode).not.toBe(0);
    expect(read.stdout).not.toContain("hunter2");
    expect((await call(runProgram, { argv: ["ls", "-A", home] }, ctx)).stdout).toBe("");
    // Outside the sandbox the same program reads it: the sandbox is what stops it.
    expect((await call(unconfined, { argv: ["cat", join(home, "secret.txt")] }, ctx)).stdout).toBe("hunter2");

    const project = join(home, "project");
    mkdirSync(project);
    writeFileSync(join(project, "notes.txt"), "shared");
    const inside = toolContext({ roots: [project] });
    expect(await call(runProgram, { argv: ["sh", "-c", "cat notes.txt; echo more > more.txt"] }, inside)).toMatchObject({ exitCode: 0, stdout: "shared" });
    expect(readFileSync(join(project, "more.txt"), "utf8")).toBe("more\n");
  });

  it("cannot read ORA's state directory or reach its control socket, even inside a root", async () => {
    const root = tempDir();
    const state = join(root, "ora-state");
    mkdirSync(state);
    writeFileSync(join(state, "credential.json"), "hunter2");
    await listening(
      createServer((socket) => socket.end()),
      join(state, "control.sock"),
    );
    const ctx = toolContext({ roots: [root], excluded: [state] });
    const script = `try { console.log(require('fs').readFileSync(${JSON.stringify(join(state, "credential.json"))}, 'utf8')) } catch (e) { console.log(e.code) }
${connectScript(JSON.stringify(join(state, "control.sock")))}`;
    const confined = await call(runProgram, { argv: [node, "-e", script] }, ctx);
    expect(confined.stdout).toBe("ENOENT\nENOENT\n");
    expect((await call(unconfined, { argv: [node, "-e", script] }, ctx)).stdout).toBe("hunter2\nconnected\n");
  });

  it("cannot connect to a TCP listener on 127.0.0.1 unless the call sets network: true", async () => {
    const server = createServer((socket) => socket.end());
    await listening(server, 0);
    const { port } = server.address() as { port: number };
    const ctx = toolContext({ roots: [tempDir()] });
    const cut = await call(runProgram, { argv: [node, "-e", connectScript(`${port}, '127.0.0.1'`)] }, ctx);
    expect(cut).toMatchObject({ exitCode: 1, sandbox: "bubblewrap", network: false });
    expect(cut.stdout).not.toContain("connected");
    const allowed = await call(runProgram, { argv: [node, "-e", connectScript(`${port}, '127.0.0.1'`)], network: true }, ctx);
    expect(allowed).toMatchObject({ exitCode: 0, stdout: "connected\n", network: true });
  });

  it("writes inside the root, and nowhere else on disk", async () => {
    const root = tempDir();
    const name = `ora-sandbox-${process.pid}-${Date.now()}`;
    const ctx = toolContext({ roots: [root] });
    const script = `echo hi > out.txt; echo x > /var/tmp/${name} || echo refused; echo y > /tmp/${name} && echo private`;
    const result = await call(runProgram, { argv: ["sh", "-c", script] }, ctx);
    expect(result.stdout).toBe("refused\nprivate\n");
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(readFileSync(join(root, "out.txt"), "utf8")).toBe("hi\n");
    // /tmp inside is a fresh tmpfs: what the program wrote there is gone with it.
    expect(existsSync(join("/var/tmp", name))).toBe(false);
    expect(existsSync(join("/tmp", name))).toBe(false);
  });

  it("has no capabilities, even when the agent runs as root", async () => {
    const result = await call(runProgram, { argv: ["grep", "^CapEff:", "/proc/self/status"] }, toolContext({ roots: [tempDir()] }));
    expect(result.stdout).toMatch(/^CapEff:\s+0+\n$/);
  });

  it("refuses a program that lives in the hidden home folder, plainly", async () => {
    const home = fakeHome();
    mkdirSync(join(home, "bin"));
    writeFileSync(join(home, "bin", "tool"), "#!/bin/sh\necho ran\n");
    chmodSync(join(home, "bin", "tool"), 0o755);
    const err = await toolError(call(runProgram, { argv: [join(home, "bin", "tool")] }, toolContext({ roots: [tempDir()] })), "denied");
    expect(err.message).toMatch(/sandbox hides/);
    await toolError(call(runProgram, { argv: ["no-such-program-ora"] }, toolContext({ roots: [tempDir()] })), "not_found");
  });

  it("kills a sandboxed program's grandchildren at the time limit", async () => {
    const marker = uniqueSleep();
    const root = tempDir();
    const ctx = toolContext({ roots: [root], run: { timeoutMs: 2_000 } });
    const pending = call(runProgram, { argv: ["sh", "-c", `sleep ${marker} & echo up > started; wait`] }, ctx);
    await until(() => existsSync(join(root, "started")), 5_000, "the program to start");
    const pids = pidsWith(marker);
    expect(pids.length).toBeGreaterThan(0);
    await toolError(pending, "timeout");
    await until(() => !pids.some(running), 5_000, "every sandboxed process to end");
  });
});

describe("a sandboxed program and the agent", () => {
  it("dies when the agent is killed", async () => {
    const relay = await startRelay();
    cleanups.push(() => void relay.dispose());
    const root = tempDir();
    const agent = await startAgent(relay.url, newStateDir(), { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root });
    cleanups.push(() => void agent.stop("SIGKILL"));
    const owner = await OraClient.connect({ identity: await provisionDevice(relay, agent, "owner-laptop", "owner") });
    cleanups.push(() => owner.close());

    const marker = uniqueSleep();
    const run = await owner.request("tools.call", { name: "run.program", args: { argv: ["sh", "-c", `echo up > started; exec sleep ${marker}`], root: 0 } });
    expect(run.status).toBe("waiting");
    const approval = await approvalFor(owner, "run.program");
    // CRITICAL: approved at the PC, with the one-time code only the PC's command line is shown.
    const atPc = (await controlRequest(agent.stateDir, "approvals.list", {})).approvals.find((a) => a.id === approval.id)!;
    await controlRequest(agent.stateDir, "approvals.decide", { id: approval.id, verdict: "approve", code: atPc.code! });
    await until(() => existsSync(join(root, "started")), 10_000, "the program to start");
    const pids = pidsWith(marker);
    expect(pids.length).toBeGreaterThan(0);

    agent.proc.kill("SIGKILL");
    await agent.exit();
    // The kill is immediate; tearing down the sandbox's namespaces (its mounts) is what can take a few
    // seconds on a loaded two-core machine, so the wait is generous. A program that outlives its agent fails.
    await until(() => !pids.some(running), 15_000, "the sandboxed program to end with the agent");
  }, 60_000);
});
