/**
 * Commands the CLI prints for a person to run next ("revoke it any time with: …") must work when
 * pasted as printed. So they start the way this CLI can be run from this shell, and repeat the flags
 * that chose this run's profile, state directory and relay. Environment variables (ORA_STATE_DIR…)
 * are not repeated: the shell the command is pasted into still has them.
 */
import { realpathSync } from "node:fs";
import { sep } from "node:path";

type Flags = Record<string, string | boolean | undefined>;

/** A command line for the person to run next: the command's words as written, then its values quoted. */
export type CommandLine = (words: string, ...values: string[]) => string;

/**
 * `cli(flags)("revoke", id)` → `npx ora-agent revoke --state-dir .ora/dev/agent <id>`. The flags come
 * right after the command's words (the command must come first), and `--` guards a value that starts
 * with a dash (a device id may). `repeated`: the flags that matter to the commands printed.
 */
export function cli(flags: Flags, repeated: readonly string[] = ["profile", "state-dir", "relay"]): CommandLine {
  const repeat = repeated.flatMap((name) => {
    const value = flags[name];
    return typeof value === "string" ? [` --${name} ${shellQuote(value)}`] : [];
  });
  return (words, ...values) => {
    const guard = values.some((value) => value.startsWith("-")) ? " --" : "";
    return `${program()} ${words}${repeat.join("")}${guard}${values.map((value) => ` ${shellQuote(value)}`).join("")}`;
  };
}

/**
 * "ora-agent" when it is installed as a command; "npx ora-agent" in a source checkout or when npm
 * started us (npx, npm start), where ora-agent is not on the shell's PATH.
 */
function program(): string {
  let script = process.argv[1] ?? "";
  try {
    script = realpathSync(script);
  } catch {
    // not a file we can resolve: judge by the path as given
  }
  const installed = script.split(sep).includes("node_modules");
  return installed && process.env.npm_command === undefined ? "ora-agent" : "npx ora-agent";
}

/** A word as a POSIX shell reads it back unchanged: bare when it is safe, single-quoted otherwise. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
