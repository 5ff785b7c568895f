/**
 * Linux: a systemd user unit in $XDG_CONFIG_HOME/systemd/user, run by the user's own service manager
 * (`systemctl --user`), its output in the journal (`journalctl --user -u ora-agent`). A user manager
 * stops with the user's last session unless lingering is on (`loginctl enable-linger`), which is what
 * lets the agent survive a logout and start at boot.
 */
import { posix } from "node:path";
import type { Runner, Step } from "./runner.js";
import { programArgs, type ServiceHost, type ServiceId, type ServiceSpec, type ServiceTarget } from "./spec.js";

/** Exit codes that a restart cannot fix (see cli/start.ts): 2 is a configuration problem, 4 the relay refusing this Node for good. */
export const NO_RESTART_EXIT_CODES = [2, 4];

export function systemdUnit(spec: ServiceSpec): string {
  const lines = [
    `# ORA agent, ${spec.profile} profile: written by "ora-agent service install", removed by "ora-agent service uninstall".`,
    `# Logs: journalctl --user -u ${spec.name} -f`,
    "[Unit]",
    `Description=ORA agent (${spec.profile} profile) connected to ${spec.relay}`,
    // A crash loop (ten starts within ten minutes) stops in "failed" instead of spinning forever;
    // a network or relay outage never gets here, because the agent reconnects by itself without exiting.
    "StartLimitIntervalSec=10min",
    "StartLimitBurst=10",
    "",
    "[Service]",
    "Type=exec",
    `ExecStart=${programArgs(spec).map(execWord).join(" ")}`,
    "WorkingDirectory=~",
    `Environment=${envWord(`PATH=${spec.path}`)}`,
    ...(spec.envFile ? [`EnvironmentFile=${escapeSpecifiers(spec.envFile)}`] : []),
    "Restart=on-failure",
    "RestartSec=10s",
    `RestartPreventExitStatus=${NO_RESTART_EXIT_CODES.join(" ")}`,
    "UMask=0077",
    `SyslogIdentifier=${spec.name}`,
    "",
    "[Install]",
    "WantedBy=default.target",
  ];
  return `${lines.join("\n")}\n`;
}

const unitName = (id: ServiceId) => `${id.name}.service`;
const systemctl = (...args: string[]) => ["systemctl", "--user", ...args];

export const systemdTarget: ServiceTarget = {
  kind: "systemd user unit",
  encoding: "utf8",
  file(id) {
    const configHome = id.host.env.XDG_CONFIG_HOME || posix.join(id.host.home, ".config");
    return posix.join(configHome, "systemd", "user", unitName(id));
  },
  render: systemdUnit,
  recorded(text) {
    const line = /^ExecStart=(.*)$/m.exec(text)?.[1];
    return line === undefined ? null : splitExec(line);
  },
  install: (id) => ({
    before: [],
    after: [{ argv: systemctl("daemon-reload") }, { argv: systemctl("enable", unitName(id)) }, { argv: systemctl("restart", unitName(id)) }],
  }),
  uninstall: (id) => ({
    before: [{ argv: systemctl("disable", "--now", unitName(id)), mayFail: true }],
    after: [{ argv: systemctl("daemon-reload") }, { argv: systemctl("reset-failed", unitName(id)), mayFail: true }],
  }),
  query(id, runner) {
    const enabled = answer(runner, systemctl("is-enabled", unitName(id)));
    const active = answer(runner, systemctl("is-active", unitName(id)));
    return { enabled, active, running: active === "active" };
  },
  logs: (id) => `journalctl --user -u ${id.name} -f`,
  linger: {
    check(host, runner) {
      const result = runner.run(["loginctl", "show-user", host.user, "--property=Linger", "--value"]);
      if (result.code === null) return null;
      // "not logged in or lingering" (exit 1) means no linger and no session, which is still a "no".
      return result.code === 0 && result.stdout.trim() === "yes";
    },
    enable: (host: ServiceHost): Step => ({ argv: ["loginctl", "enable-linger", host.user] }),
    hint: (host) =>
      `without lingering, systemd stops the agent when you log out and starts it at your next login; to keep it running (and start it at boot): loginctl enable-linger ${host.user} (or install with --linger)`,
  },
};

/** systemctl's one-word answer (is-enabled, is-active print it on stdout, with a non-zero exit for "no"). */
function answer(runner: Runner, argv: string[]): string {
  const result = runner.run(argv);
  const word = result.stdout.trim().split("\n")[0];
  if (word) return word;
  return `unknown (${result.code === null ? "systemctl not found" : result.stderr.trim().split("\n")[0] || `exit ${result.code}`})`;
}

/**
 * One ExecStart word. systemd splits on spaces and reads C escapes inside double quotes; "%" starts a
 * specifier and "$" a variable even inside quotes, so both are doubled (systemd.service(5), "Command lines").
 */
function execWord(word: string): string {
  const bare = /^[A-Za-z0-9_./:@+,=-]+$/.test(word);
  const text = bare ? word : `"${word.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
  return escapeSpecifiers(text).replaceAll("$", "$$$$");
}

/** An Environment= assignment, quoted; variables are not expanded there, specifiers are. */
function envWord(assignment: string): string {
  return escapeSpecifiers(`"${assignment.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`);
}

const escapeSpecifiers = (text: string) => text.replaceAll("%", "%%");

/** The inverse of execWord over a whole ExecStart= line. */
export function splitExec(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === "\\") word += line[++i] ?? "";
      else if (c === '"') quoted = false;
      else word += c;
    } else if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === '"') {
      word ??= "";
      quoted = true;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words.map((w) => w.replaceAll("%%", "%").replaceAll("$$", "$"));
}
