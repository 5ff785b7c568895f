import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectSandbox, runProgramTool } from "../../node-agent/src/tools/index.js";
import { minimalEnv } from "../../node-agent/src/tools/run.js";
import { call, tempDir, toolContext, toolError } from "./context.js";

const node = process.execPath;
/** As the agent builds it: in this PC's sandbox (CI installs bubblewrap). */
const runProgram = runProgramTool(detectSandbox());
/**
 * Without a sandbox, for the tests that read a grandchild's pid from inside: in a sandbox's own PID
 * namespace that pid means nothing outside (test/tools/sandbox.test.ts checks the sandboxed case).
 */
const unconfined = runProgramTool({ kind: "none", off: true, reason: "off for this test", fix: "" });

/** True while a process with this pid exists (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("run.program", () => {
  it("passes shell metacharacters to the program literally", async () => {
    const ctx = toolContext({ roots: [tempDir()] });
    const result = await call(runProgram, { argv: ["echo", "$(whoami);rm -rf /"] }, ctx);
    expect(result).toMatchObject({ exitCode: 0, stdout: "$(whoami);rm -rf /\n", stderr: "" });
    const glob = await call(runProgram, { argv: ["echo", "*", "`id`", "a|b", "x > y"] }, ctx);
    expect(glob.stdout).toBe("* `id` a|b x > y\n");
  });

  it("returns the exit code and both output streams", async () => {
    const ctx = toolContext({ roots: [tempDir()] });
    const result = await call(runProgram, { argv: [node, "-e", "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"] }, ctx);
    expect(result).toMatchObject({ exitCode: 3, signal: null, stdout: "out", stderr: "err", stdoutTruncated: false, stderrTruncated: false });
  });

  it("runs in the requested folder inside the root, the root by default", async () => {
    const root = tempDir();
    mkdirSync(join(root, "sub"));
    const ctx = toolContext({ roots: [root] });
    expect((await call(runProgram, { argv: ["pwd"] }, ctx)).stdout.trim()).toBe(root);
    expect((await call(runProgram, { argv: ["pwd"], cwd: "sub" }, ctx)).stdout.trim()).toBe(join(root, "sub"));
  });

  it("refuses a working folder outside the root, by '..', absolute path or symlink", async () => {
    const root = tempDir();
    const outside = tempDir();
    symlinkSync(outside, join(root, "escape"));
    writeFileSync(join(root, "file"), "");
    const ctx = toolContext({ roots: [root] });
    await toolError(call(runProgram, { argv: ["pwd"], cwd: ".." }, ctx), "bad_args");
    await toolError(call(runProgram, { argv: ["pwd"], cwd: outside }, ctx), "bad_args");
    await toolError(call(runProgram, { argv: ["pwd"], cwd: "escape" }, ctx), "denied");
    await toolError(call(runProgram, { argv: ["pwd"], cwd: "file" }, ctx), "bad_args");
    await toolError(call(runProgram, { argv: ["pwd"] }, toolContext()), "denied");
  });

  it("gives the program only PATH, HOME and LANG, none of the agent's secrets", async () => {
    process.env.ORA_TEST_SECRET = "hunter2";
    try {
      const ctx = toolContext({ roots: [tempDir()] });
      const result = await call(runProgram, { argv: [node, "-e", "console.log(JSON.stringify(Object.keys(process.env).sort()))"] }, ctx);
      // bubblewrap sets PWD to the working folder after its own options are applied; it holds nothing secret.
      const seen = (JSON.parse(result.stdout) as string[]).filter((key) => key !== "PWD");
      expect(seen).toEqual(Object.keys(minimalEnv()).sort());
      expect(Object.keys(minimalEnv()).sort()).toEqual(["HOME", "LANG", "PATH"].filter((k) => k === "LANG" || process.env[k] !== undefined));
    } finally {
      delete process.env.ORA_TEST_SECRET;
    }
  });

  it("caps each output stream and reports the truncation and the real size", async () => {
    const ctx = toolContext({ roots: [tempDir()], run: { maxOutputBytes: 1000 } });
    const result = await call(runProgram, { argv: [node, "-e", "process.stdout.write('a'.repeat(200000)); process.stderr.write('b'.repeat(10))"] }, ctx);
    expect(result).toMatchObject({ exitCode: 0, stdoutTruncated: true, stdoutBytes: 200_000, stderr: "bbbbbbbbbb", stderrTruncated: false });
    expect(result.stdout).toBe("a".repeat(1000));
  });

  it("kills the whole process group on timeout, grandchildren included", async () => {
    const ctx = toolContext({ roots: [tempDir()], run: { timeoutMs: 500 } });
    // The shell prints its background child's pid, then waits; both must die.
    const script = "sleep 60 & echo $! > grandchild.pid; wait";
    const root = ctx.config.roots[0]!;
    const err = await toolError(call(unconfined, { argv: ["sh", "-c", script] }, ctx), "timeout");
    expect(err.message).toMatch(/500 ms/);
    const grandchild = Number(readFileSync(join(root, "grandchild.pid"), "utf8"));
    await expect.poll(() => alive(grandchild), { timeout: 5_000 }).toBe(false);
  });

  it("never lets a call raise the configured time limit", async () => {
    const ctx = toolContext({ roots: [tempDir()], run: { timeoutMs: 300 } });
    await toolError(call(runProgram, { argv: ["sleep", "10"], timeoutMs: 60_000 }, ctx), "timeout");
    await toolError(call(runProgram, { argv: ["sleep", "10"], timeoutMs: 100 }, toolContext({ roots: [tempDir()] })), "timeout");
  });

  it("kills the process group when the request is cancelled", async () => {
    const root = tempDir();
    const controller = new AbortController();
    const ctx = toolContext({ roots: [root], signal: controller.signal });
    const running = call(unconfined, { argv: ["sh", "-c", "echo $$ > shell.pid; sleep 60 & wait"] }, ctx);
    await expect.poll(() => existsSync(join(root, "shell.pid")), { timeout: 5_000 }).toBe(true);
    const shell = Number(readFileSync(join(root, "shell.pid"), "utf8"));
    controller.abort();
    const err = await toolError(running, "failed");
    expect(err.message).toMatch(/cancelled/);
    await expect.poll(() => alive(shell), { timeout: 5_000 }).toBe(false);
  });

  it("refuses to start when the request is already cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const root = tempDir();
    await toolError(call(runProgram, { argv: ["touch", "ran"] }, toolContext({ roots: [root], signal: controller.signal })), "failed");
    expect(existsSync(join(root, "ran"))).toBe(false);
  });

  it("answers soon after exit even if a detached grandchild keeps the output pipe open", async () => {
    const ctx = toolContext({ roots: [tempDir()], run: { timeoutMs: 20_000 } });
    // setsid puts the sleeper outside the group, holding stdout; the answer must not wait a minute for it.
    const script =
      "const c = require('child_process').spawn('sleep', ['60'], { detached: true, stdio: ['ignore', 'inherit', 'ignore'] }); c.unref(); console.log(c.pid)";
    const result = await call(unconfined, { argv: [node, "-e", script] }, ctx);
    process.kill(Number(result.stdout), "SIGKILL");
    expect(result).toMatchObject({ exitCode: 0 });
    expect(Number(result.stdout)).toBeGreaterThan(0);
  });

  it("reports a missing program and refuses bad argument vectors", async () => {
    const ctx = toolContext({ roots: [tempDir()] });
    const err = await toolError(call(runProgram, { argv: ["no-such-program-ora"] }, ctx), "not_found");
    expect(err.message).toContain("no-such-program-ora");
    await expect(call(runProgram, { argv: [] }, ctx)).rejects.toThrow();
    await expect(call(runProgram, { argv: [""] }, ctx)).rejects.toThrow();
    await expect(call(runProgram, { argv: ["echo", "a\0b"] }, ctx)).rejects.toThrow();
    await expect(call(runProgram, { argv: Array(257).fill("x") }, ctx)).rejects.toThrow();
  });

  it("is CRITICAL and never visible to guests", () => {
    expect(runProgram).toMatchObject({ name: "run.program", risk: "CRITICAL", guestVisible: false });
  });
});
