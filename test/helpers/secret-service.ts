/**
 * A private Secret Service for tests: a D-Bus session bus of its own (dbus-daemon) and GNOME Keyring
 * on it, its login keyring created and unlocked with a password on stdin, all under a temporary HOME.
 * Agents given `env` store their secrets there; `secretTool` looks at it from outside, as a person
 * would with libsecret's `secret-tool`. Needs the Debian packages dbus, gnome-keyring,
 * libsecret-tools and libglib2.0-bin (gdbus); .ci/run installs them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SecretService {
  /** HOME, XDG_* and DBUS_SESSION_BUS_ADDRESS of this session. */
  env: Record<string, string>;
  /** `secret-tool <args>` in this session. */
  secretTool(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startSecretService(): Promise<SecretService> {
  const home = mkdtempSync(join(tmpdir(), "ora-keyring-"));
  const runtime = join(home, "run");
  mkdirSync(runtime, { mode: 0o700 });
  const base = { HOME: home, XDG_DATA_HOME: join(home, "share"), XDG_CONFIG_HOME: join(home, "config"), XDG_RUNTIME_DIR: runtime };
  const started: ChildProcess[] = [];
  const stop = async () => {
    for (const child of started.reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const bus = spawn("dbus-daemon", ["--session", "--nofork", "--nopidfile", "--print-address=1"], {
      env: { ...process.env, ...base },
      stdio: ["ignore", "pipe", "ignore"],
    });
    started.push(bus);
    const address = await firstLine(bus, "dbus-daemon");
    const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address };
    const keyring = spawn("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "ignore", "ignore"],
    });
    started.push(keyring);
    keyring.stdin!.end("keyring password of the test");
    // Waits for GNOME Keyring to own the Secret Service's name on this bus (gdbus ends as soon as it does).
    const wait = await run("gdbus", ["wait", "--session", "--timeout", "20", "org.freedesktop.secrets"], env);
    if (wait.code !== 0) throw new Error(`the Secret Service never appeared on the test bus: ${wait.stderr}`);
    return { env, secretTool: (...args) => run("secret-tool", args, env), stop };
  } catch (error) {
    await stop();
    const hint = "the keychain tests need Debian's dbus, gnome-keyring, libsecret-tools and libglib2.0-bin (.ci/run installs them)";
    throw new Error(`${error instanceof Error ? error.message : String(error)}: ${hint}`);
  }
}

function firstLine(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (d) => {
      text += d;
      const end = text.indexOf("\n");
      if (end >= 0) resolve(text.slice(0, end).trim());
    });
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before printing its address`)));
    child.once("error", reject);
  });
}

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
