/**
 * How service commands (systemctl --user, launchctl, schtasks, loginctl) are run: one narrow interface,
 * so that --dry-run prints them instead and tests put a fake systemctl first on PATH.
 */
import { spawnSync } from "node:child_process";

export interface RunResult {
  /** null when the program could not be run at all (not installed, not on PATH). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A command of an install or uninstall; `mayFail` for those that fail harmlessly (stopping what is not running). */
export interface Step {
  argv: string[];
  mayFail?: boolean;
}

export interface Runner {
  run(argv: string[]): RunResult;
}

const TIMEOUT_MS = 30_000;

export const systemRunner: Runner = {
  run([command, ...args]) {
    const result = spawnSync(command!, args, { encoding: "utf8", timeout: TIMEOUT_MS, stdio: ["ignore", "pipe", "pipe"] });
    if (result.error) return { code: null, stdout: "", stderr: result.error.message };
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  },
};

/** A command line as a user would type it in a POSIX shell. */
export function commandLine(argv: string[]): string {
  return argv.map((arg) => (/^[A-Za-z0-9_./:=@%+,\\-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`)).join(" ");
}
