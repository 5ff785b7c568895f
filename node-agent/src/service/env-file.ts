/**
 * The environment a service starts with (`--env OPENAI_API_KEY,…` copies those variables at install
 * time) lives in `<stateDir>/service.env`, 0600 in the 0700 state directory, never in the service
 * definition: a systemd unit or a launchd plist is a file other tools read and print.
 *
 * Two parsers read it: systemd's EnvironmentFile= (Linux) and Node's --env-file (macOS, Windows).
 * Their quoting rules differ, so values are written only in the forms both read the same way: single
 * quotes (everything literal), or double quotes around a value without \ " $ ` (which both would treat
 * specially). A value that fits neither, or spans lines, is refused rather than mangled.
 */
import { join } from "node:path";
import { UserError } from "../errors.js";
import { readTextIfExists, writePrivateFile } from "../state.js";

export const envFilePath = (stateDir: string) => join(stateDir, "service.env");

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads `names` from `env`; an unset name or an unwritable value is the user's to fix. Values are never put in messages. */
export function pickEnv(names: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    if (!NAME.test(name)) throw new UserError(`"${name}" is not an environment variable name`);
    const value = env[name];
    if (value === undefined) throw new UserError(`${name} is not set in this shell: set it, then install again (its value is copied, not its name)`);
    if (quote(value) === null) throw new UserError(`${name}'s value spans lines or mixes both kinds of quotes; it cannot go in the service's environment file`);
    picked[name] = value;
  }
  return picked;
}

export function renderEnvFile(vars: Record<string, string>): string {
  const lines = Object.entries(vars).map(([name, value]) => `${name}=${quote(value)}`);
  return `# Written by "ora-agent service install"; read by the service at start. Keep it 0600.\n${lines.join("\n")}\n`;
}

export function writeEnvFile(path: string, vars: Record<string, string>): void {
  writePrivateFile(path, renderEnvFile(vars));
}

/** The variable names in an environment file (values stay where they are), or null without one. */
export function envNames(path: string): string[] | null {
  const text = readTextIfExists(path);
  if (text === null) return null;
  return text
    .split("\n")
    .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

function quote(value: string): string | null {
  if (/[\r\n]/.test(value)) return null;
  if (!value.includes("'")) return `'${value}'`;
  if (!/["\\$`]/.test(value)) return `"${value}"`;
  return null;
}
