import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentConfig } from "../config.js";
import { UserError } from "../errors.js";
import {
  argAfter,
  commandLine,
  envFilePath,
  envNames,
  nodeMajor,
  pickEnv,
  programArgs,
  SERVICE_TARGETS,
  serviceName,
  serviceOs,
  systemRunner,
  thisHost,
  writeEnvFile,
  type Runner,
  type ServiceId,
  type ServiceSpec,
  type ServiceTarget,
  type Step,
} from "../service/index.js";
import { ensureStateDir, processAlive, readNodeFile, readStatus } from "../state.js";
import { configFrom, type Command } from "./command.js";

type Flags = Record<string, string | boolean | undefined>;

export const serviceCommand: Command = {
  usage: `Usage: ora-agent service install [--relay <url>] [--env NAME,…] [--linger] [--dry-run]
       ora-agent service uninstall [--dry-run]
       ora-agent service status [--json]

Installs the agent as a service of your own user, one per profile, that starts
when you log in and is restarted if it fails (but not when it stops for a reason
a restart cannot fix, such as a rejected credential):
  Linux    a systemd user unit, ~/.config/systemd/user/ora-agent.service
           logs: journalctl --user -u ora-agent -f
  macOS    a launchd agent, ~/Library/LaunchAgents/ora-agent.plist
           logs: ~/Library/Logs/ora-agent/ora-agent.log
  Windows  a Scheduled Task, \\ORA\\ora-agent, started at logon
           logs: %LOCALAPPDATA%\\ora\\logs\\ora-agent.log
The shared profile's service is ora-agent-shared. It runs this Node.js and this
ora-agent with the relay (--relay, or the one this profile is registered with),
the profile and the state directory recorded at install time; run install again
to change them.

  --env NAME,…     copy these variables from this shell into the service's
                   environment (e.g. OPENAI_API_KEY): kept in service.env in the
                   state directory, readable only by you, never printed
  --linger         Linux: also run "loginctl enable-linger", so the agent keeps
                   running after you log out and starts at boot
  --dry-run        print the files and commands instead of writing or running them
  --platform <os>  with --dry-run: linux, macos or windows, to see another OS's
  --json           status as JSON

status exits 0 when the service is installed and running, 1 otherwise.`,
  options: {
    env: { type: "string" },
    linger: { type: "boolean" },
    "dry-run": { type: "boolean" },
    platform: { type: "string" },
    json: { type: "boolean" },
  },
  async run({ flags, positionals }) {
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UserError(`unexpected "${extra.join(" ")}": ora-agent service install | uninstall | status`);
    const dryRun = flags["dry-run"] === true;
    if (typeof flags.platform === "string" && !dryRun) throw new UserError("--platform only previews another OS's service: add --dry-run");
    const os = serviceOs(typeof flags.platform === "string" ? flags.platform : process.platform);
    const config = configFrom(flags);
    const id: ServiceId = { host: thisHost(os), name: serviceName(config.profile) };
    const target = SERVICE_TARGETS[os];
    switch (action) {
      case "install":
        return install({ config, flags, id, target, dryRun, runner: systemRunner });
      case "uninstall":
        return uninstall({ config, flags, id, target, dryRun, runner: systemRunner });
      case "status":
        return status({ config, flags, id, target, dryRun, runner: systemRunner });
      default:
        throw new UserError(
          action === undefined ? "which action? install, uninstall or status (ora-agent service --help)" : `unknown service action "${action}"`,
        );
    }
  },
};

interface Context {
  config: AgentConfig;
  flags: Flags;
  id: ServiceId;
  target: ServiceTarget;
  dryRun: boolean;
  runner: Runner;
}

const out = (line = "") => process.stdout.write(`${line}\n`);

function install({ config, flags, id, target, dryRun, runner }: Context): number {
  if (nodeMajor(process.versions.node) < 22) {
    throw new UserError(`the service would run this Node.js (${process.execPath}, ${process.versions.node}); the agent needs 22 or newer`);
  }
  const stateDir = resolve(config.stateDir);
  const names =
    typeof flags.env === "string"
      ? flags.env
          .split(",")
          .map((name) => name.trim())
          .filter(Boolean)
      : [];
  const vars = names.length > 0 ? pickEnv(names, process.env) : null;
  const envFile = envFilePath(stateDir);
  // Without --env, an environment file from an earlier install stays in use.
  const keptEnv = vars === null ? envNames(envFile) : null;
  const spec: ServiceSpec = {
    ...id,
    profile: config.profile,
    relay: relayFor(flags, config, stateDir),
    stateDir,
    node: process.execPath,
    script: entryScript(),
    envFile: vars !== null || keptEnv !== null ? envFile : null,
    path: process.env.PATH ?? "",
  };
  const file = target.file(id);
  const definition = target.render(spec);
  const plan = target.install(id);
  const linger = target.linger && flags.linger === true ? [target.linger.enable(id.host)] : [];
  const envLine = vars !== null ? Object.keys(vars).join(", ") : keptEnv?.join(", ");

  if (dryRun) {
    out(`# ora-agent service install --dry-run: nothing is written or run.`);
    out(`# ${file} (0600):`);
    process.stdout.write(definition);
    if (vars !== null) {
      out(`# ${envFile} (0600), values copied from this shell, not shown:`);
      for (const name of Object.keys(vars)) out(`${name}=…`);
    } else if (keptEnv !== null) out(`# ${envFile} (0600) stays as it is: ${keptEnv.join(", ") || "no variables"}`);
    out("# commands:");
    for (const step of [...plan.before, ...plan.after, ...linger]) out(commandLine(step.argv));
    return 0;
  }

  const running = readStatus(stateDir);
  const otherAgent = running !== null && running.status !== "stopped" && processAlive(running.pid) && !target.query(id, runner).running;
  runSteps(plan.before, runner);
  ensureStateDir(stateDir);
  if (vars !== null) writeEnvFile(envFile, vars);
  writeDefinition(file, definition, target.encoding);
  const logFile = target.logFile?.(id);
  if (logFile) mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  runSteps([...plan.after, ...linger], runner);

  out(`installed ${id.name} (${target.kind}): ${file}`);
  out(`runs         ${commandLine(programArgs(spec))}`);
  if (envLine !== undefined) out(`environment  ${envLine || "none"} (from ${envFile}, readable only by you)`);
  out(`logs         ${target.logs(id)}`);
  out(`status       ora-agent service status${config.profile === "private" ? "" : ` --profile ${config.profile}`}`);
  if (otherAgent) {
    out(
      `note: an agent is already running with this state directory (pid ${running.pid}); the service cannot start until it stops. Stop it (Ctrl-C), then run install again.`,
    );
  }
  if (target.linger && linger.length === 0 && target.linger.check(id.host, runner) !== true) out(`note: ${target.linger.hint(id.host)}`);
  if (/[\\/]_npx[\\/]/.test(spec.script)) {
    out(`note: this ora-agent runs from npx's cache (${spec.script}), which npm may clean; install ora-agent for good and run "service install" from there`);
  }
  return 0;
}

function uninstall({ config, id, target, dryRun, runner }: Context): number {
  const file = target.file(id);
  const recorded = readDefinition(file, target);
  if (recorded === null && !dryRun) {
    out(`${id.name} is not installed (no ${file}); nothing to do`);
    return 0;
  }
  const stateDir = (recorded && argAfter(recorded, "--state-dir")) ?? resolve(config.stateDir);
  const envFile = envFilePath(stateDir);
  const plan = target.uninstall(id);
  if (dryRun) {
    out(`# ora-agent service uninstall --dry-run: nothing is removed or run.`);
    for (const step of plan.before) out(commandLine(step.argv));
    out(`# remove ${file}`);
    out(`# remove ${envFile}, if there`);
    for (const step of plan.after) out(commandLine(step.argv));
    return 0;
  }
  const hadEnv = existsSync(envFile);
  runSteps(plan.before, runner);
  rmSync(file, { force: true });
  rmSync(envFile, { force: true });
  runSteps(plan.after, runner);
  out(`uninstalled ${id.name}: stopped, disabled, ${file}${hadEnv ? ` and ${envFile}` : ""} removed`);
  out(`the agent's state stays in ${stateDir}; "ora-agent start" still runs it by hand`);
  if (target.linger?.check(id.host, runner) === true)
    out(`note: lingering stays on for ${id.host.user} (loginctl disable-linger ${id.host.user} turns it off)`);
  return 0;
}

function status({ id, target, flags, runner }: Context): number {
  const file = target.file(id);
  const recorded = readDefinition(file, target);
  const installed = recorded !== null;
  const state = installed ? target.query(id, runner) : { enabled: "no", active: "inactive", running: false };
  const stateDir = recorded ? (argAfter(recorded, "--state-dir") ?? null) : null;
  const report = {
    service: id.name,
    kind: target.kind,
    file,
    installed,
    enabled: state.enabled,
    active: state.active,
    running: state.running,
    relay: recorded ? (argAfter(recorded, "--relay") ?? null) : null,
    profile: recorded ? (argAfter(recorded, "--profile") ?? null) : null,
    stateDir,
    environment: stateDir ? envNames(envFilePath(stateDir)) : null,
    logs: target.logs(id),
    lingering: installed && target.linger ? target.linger.check(id.host, runner) : null,
  };
  if (flags.json === true) {
    out(JSON.stringify(report, null, 2));
    return installed && state.running ? 0 : 1;
  }
  if (!installed) {
    out(`${id.name}: not installed (${file} does not exist); ora-agent service install`);
    return 1;
  }
  out(`service      ${id.name} (${target.kind})`);
  out(`file         ${file}`);
  out(`enabled      ${report.enabled}`);
  out(`active       ${report.active}`);
  out(`relay        ${report.relay ?? "not recorded"}`);
  out(`profile      ${report.profile ?? "not recorded"}`);
  out(`state        ${report.stateDir ?? "not recorded"}`);
  if (report.environment) out(`environment  ${report.environment.join(", ") || "none"} (from ${envFilePath(stateDir!)})`);
  out(`logs         ${report.logs}`);
  if (report.lingering === false) out(`lingering    no: ${target.linger!.hint(id.host)}`);
  if (report.lingering === true) out("lingering    yes: keeps running after logout, starts at boot");
  return state.running ? 0 : 1;
}

/** The relay the service connects to: --relay (or ORA_RELAY_URL), else the one this state directory is registered with. */
function relayFor(flags: Flags, config: AgentConfig, stateDir: string): string {
  const credential = readNodeFile(stateDir);
  const chosen = typeof flags.relay === "string" || process.env.ORA_RELAY_URL ? config.relay : undefined;
  if (credential && chosen && credential.relay !== chosen) {
    throw new UserError(`this state directory belongs to the relay ${credential.relay}; use --relay ${credential.relay} or another --state-dir`);
  }
  const relay = chosen ?? credential?.relay;
  if (!relay) throw new UserError('which relay? ora-agent service install --relay https://relay.example.com (or run "ora-agent start --relay …" once first)');
  return relay;
}

/** The installed package's entry script, absolute and with symlinks resolved (npm links bin/ora-agent.js into .bin). */
function entryScript(): string {
  const script = fileURLToPath(new URL("../../bin/ora-agent.js", import.meta.url));
  if (!existsSync(script)) throw new UserError(`cannot find the agent's entry script at ${script}; reinstall ora-agent`);
  return realpathSync(script);
}

function runSteps(steps: Step[], runner: Runner): void {
  for (const step of steps) {
    const result = runner.run(step.argv);
    if (result.code === 0 || step.mayFail) continue;
    const why = result.code === null ? `${step.argv[0]} not found` : result.stderr.trim().split("\n")[0] || `exit code ${result.code}`;
    throw new UserError(`${commandLine(step.argv)} failed: ${why}`, 1);
  }
}

function writeDefinition(file: string, text: string, encoding: ServiceTarget["encoding"]): void {
  mkdirSync(dirname(file), { recursive: true });
  // It names no secret, but nobody else needs to read where this user's agent lives and connects to.
  writeFileSync(file, encoding === "utf16le" ? `\ufeff${text}` : text, { encoding, mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The program arguments of an installed definition, [] when it has none we can read, null when there is no file. */
function readDefinition(file: string, target: ServiceTarget): string[] | null {
  let text: string;
  try {
    text = readFileSync(file, target.encoding).replace(/^\ufeff/, "");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  return target.recorded(text) ?? [];
}
