/**
 * `ora-agent service install | uninstall | status`: the systemd unit, the launchd plist and the Task
 * Scheduler XML it generates, and the whole install → status → uninstall run on Linux.
 *
 * The real systemd user manager is out of reach in this container (no user session, no D-Bus), and a
 * test must never enable a real service on the machine it runs on: the end-to-end runs put a fake
 * `systemctl` and `loginctl` first on PATH that record their arguments and answer the way the real ones
 * do, with HOME and XDG_CONFIG_HOME in a temporary directory. The unit itself is checked by the real
 * `systemd-analyze verify` wherever systemd is installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { service } from "ora-agent";
import { beforeEach, describe, expect, it } from "vitest";
import { AGENT_BIN } from "../helpers/agent.js";

const SECRET = "sk-test-0123456789-do-not-print";
const RELAY = "https://relay.example.test";
const SCRIPT = realpathSync(AGENT_BIN);

/** A spec as install records it, with awkward characters where paths allow them. */
function specFor(os: service.ServiceOs, overrides: Partial<service.ServiceSpec> = {}): service.ServiceSpec {
  const home = mkdtempSync(join(tmpdir(), "ora-service-home-"));
  return {
    host: { os, home, env: {}, uid: 501, user: "alice" },
    name: "ora-agent",
    profile: "private",
    relay: RELAY,
    stateDir: join(home, "state dir"),
    node: process.execPath,
    script: SCRIPT,
    envFile: null,
    path: "/usr/local/bin:/usr/bin:/bin",
    ...overrides,
  };
}

const FAKE_SYSTEMCTL = `#!/bin/sh
# Records its arguments and answers like "systemctl --user", keeping unit states as files in $FAKE_SYSTEMD.
echo "systemctl $*" >> "$FAKE_SYSTEMD/calls"
[ "$1" = "--user" ] || { echo "Failed to connect to bus: not a user call" >&2; exit 1; }
shift
case "$1" in
  daemon-reload|reset-failed) exit 0 ;;
  enable)
    [ -f "$XDG_CONFIG_HOME/systemd/user/$2" ] || { echo "Failed to enable unit: Unit file $2 does not exist." >&2; exit 1; }
    touch "$FAKE_SYSTEMD/enabled-$2"; echo "Created symlink default.target.wants/$2" >&2 ;;
  restart) touch "$FAKE_SYSTEMD/active-$2" ;;
  disable) unit="$3"; rm -f "$FAKE_SYSTEMD/enabled-$unit" "$FAKE_SYSTEMD/active-$unit" ;;
  is-enabled) if [ -f "$FAKE_SYSTEMD/enabled-$2" ]; then echo enabled; else echo disabled; exit 1; fi ;;
  is-active) if [ -f "$FAKE_SYSTEMD/active-$2" ]; then echo active; else echo inactive; exit 3; fi ;;
  *) echo "Unknown command verb $1." >&2; exit 1 ;;
esac
`;

const FAKE_LOGINCTL = `#!/bin/sh
echo "loginctl $*" >> "$FAKE_SYSTEMD/calls"
case "$1" in
  show-user) if [ -f "$FAKE_SYSTEMD/linger-$2" ]; then echo yes; else echo no; fi ;;
  enable-linger) touch "$FAKE_SYSTEMD/linger-$2" ;;
  *) exit 1 ;;
esac
`;

interface Machine {
  home: string;
  configHome: string;
  stateDir: string;
  systemd: string;
  unit(name?: string): string;
  calls(): string[];
  run(args: string[], env?: Record<string, string>): { code: number | null; stdout: string; stderr: string };
}

/** A home of its own, the fake systemd first on PATH, and nothing from the outer ORA_* environment. */
function machine(): Machine {
  const home = mkdtempSync(join(tmpdir(), "ora-service-"));
  const bin = join(home, "bin");
  const systemd = join(home, "systemd-state");
  mkdirSync(bin);
  mkdirSync(systemd);
  writeFileSync(join(bin, "systemctl"), FAKE_SYSTEMCTL, { mode: 0o755 });
  writeFileSync(join(bin, "loginctl"), FAKE_LOGINCTL, { mode: 0o755 });
  const configHome = join(home, ".config");
  const stateDir = join(home, "state");
  return {
    home,
    configHome,
    stateDir,
    systemd,
    unit: (name = "ora-agent.service") => join(configHome, "systemd", "user", name),
    calls: () => (existsSync(join(systemd, "calls")) ? readFileSync(join(systemd, "calls"), "utf8").trim().split("\n") : []),
    run(args, env = {}) {
      const result = spawnSync(process.execPath, [AGENT_BIN, "service", ...args], {
        encoding: "utf8",
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: home, XDG_CONFIG_HOME: configHome, FAKE_SYSTEMD: systemd, ...env },
      });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

describe("the systemd user unit", () => {
  it("runs this Node with the agent's absolute entry script and the recorded relay, profile and state directory", () => {
    const spec = specFor("linux");
    const unit = service.systemdUnit(spec);
    expect(unit).toContain(`ExecStart=${process.execPath} ${SCRIPT} start --relay ${RELAY} --profile private --state-dir "${spec.stateDir}"`);
    expect(unit).toContain(`Description=ORA agent (private profile) connected to ${RELAY}`);
    expect(unit).toContain('Environment="PATH=/usr/local/bin:/usr/bin:/bin"');
    expect(unit).toMatch(/^WantedBy=default\.target$/m);
    expect(unit).not.toContain("EnvironmentFile=");
  });

  it("restarts on failure after a pause, but not on the exit codes of a configuration problem (2) or a fatal stop (4)", () => {
    const unit = service.systemdUnit(specFor("linux"));
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartSec=10s$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2 4$/m);
    expect(unit).toMatch(/^StartLimitIntervalSec=10min$/m);
    expect(service.NO_RESTART_EXIT_CODES).toEqual([2, 4]);
  });

  it("reads the environment from the 0600 file, not from lines in the unit", () => {
    const spec = specFor("linux");
    const unit = service.systemdUnit({ ...spec, envFile: service.envFilePath(spec.stateDir) });
    expect(unit).toContain(`EnvironmentFile=${spec.stateDir}/service.env`);
  });

  it("quotes paths with spaces, quotes, % and $ so that systemd reads back the same words", () => {
    const spec = specFor("linux", { stateDir: `/tmp/odd "dir" 100% $HOME\\x` });
    const unit = service.systemdUnit(spec);
    expect(unit).toContain('"/tmp/odd \\"dir\\" 100%% $$HOME\\\\x"');
    expect(service.SERVICE_TARGETS.linux.recorded(unit)).toEqual(service.programArgs(spec));
  });

  it("passes systemd-analyze verify, where systemd is installed", () => {
    const unit = service.systemdUnit(specFor("linux", { envFile: "/tmp/no such dir/service.env", stateDir: "/tmp/a dir/100%" }));
    if (spawnSync("sh", ["-c", "command -v systemd-analyze"]).status !== 0) {
      console.info("systemd-analyze is not installed here: the unit's content is checked above, its verification is not");
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), "ora-unit-"));
    const runtime = mkdtempSync(join(tmpdir(), "ora-runtime-"));
    writeFileSync(join(dir, "ora-agent.service"), unit);
    // --user verify needs a runtime directory, not a running user manager.
    const verify = spawnSync("systemd-analyze", ["--user", "verify", join(dir, "ora-agent.service")], {
      encoding: "utf8",
      env: { ...process.env, XDG_RUNTIME_DIR: runtime },
    });
    expect(verify.stderr + verify.stdout).toBe("");
    expect(verify.status).toBe(0);
  });
});

describe("the launchd agent (macOS)", () => {
  it("runs the agent through launchd with its environment file, restarts after a failed exit and logs to ~/Library/Logs", () => {
    const spec = specFor("macos", { envFile: "/Users/alice/state/service.env" });
    const plist = service.launchdPlist(spec);
    const strings = (key: string) => {
      const body = new RegExp(`<key>${key}</key>\\s*<array>([\\s\\S]*?)</array>`).exec(plist)?.[1] ?? "";
      return [...body.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]);
    };
    expect(strings("ProgramArguments")).toEqual([
      process.execPath,
      "--env-file=/Users/alice/state/service.env",
      SCRIPT,
      "start",
      "--relay",
      RELAY,
      "--profile",
      "private",
      "--state-dir",
      spec.stateDir,
    ]);
    expect(plist).toMatch(/<key>Label<\/key>\s*<string>ora-agent<\/string>/);
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>\s*<\/dict>/);
    expect(plist).toMatch(/<key>ThrottleInterval<\/key>\s*<integer>30<\/integer>/);
    expect(plist).toContain(`<key>StandardErrorPath</key>\n  <string>${spec.host.home}/Library/Logs/ora-agent/ora-agent.log</string>`);
    expect(service.SERVICE_TARGETS.macos.recorded(plist)).toEqual(strings("ProgramArguments"));
    expect(service.SERVICE_TARGETS.macos.file(spec)).toBe(`${spec.host.home}/Library/LaunchAgents/ora-agent.plist`);
  });

  it("loads into the user's GUI domain, replacing an older definition", () => {
    const id = { host: specFor("macos").host, name: "ora-agent-shared" };
    const plan = service.SERVICE_TARGETS.macos.install(id);
    expect([...plan.before, ...plan.after].map((step) => service.commandLine(step.argv))).toEqual([
      "launchctl bootout gui/501/ora-agent-shared",
      "launchctl enable gui/501/ora-agent-shared",
      `launchctl bootstrap gui/501 ${id.host.home}/Library/LaunchAgents/ora-agent-shared.plist`,
    ]);
  });
});

describe("the Scheduled Task (Windows)", () => {
  const spec = specFor("windows", {
    host: { os: "windows", home: "C:\\Users\\alice", env: { LOCALAPPDATA: "C:\\Users\\alice\\AppData\\Local" }, uid: 0, user: "PC\\alice" },
    node: "C:\\Program Files\\nodejs\\node.exe",
    script: "C:\\Users\\alice\\AppData\\Roaming\\npm\\node_modules\\ora-agent\\bin\\ora-agent.js",
    stateDir: "C:\\Users\\alice\\AppData\\Roaming\\ora\\private",
    envFile: "C:\\Users\\alice\\AppData\\Roaming\\ora\\private\\service.env",
  });

  it("starts the agent at the user's logon through cmd.exe, appending its output to a log file", () => {
    const xml = service.taskXml(spec);
    const log = "C:\\Users\\alice\\AppData\\Local\\ora\\logs\\ora-agent.log";
    const args = [
      '"C:\\Program Files\\nodejs\\node.exe"',
      '"--env-file=C:\\Users\\alice\\AppData\\Roaming\\ora\\private\\service.env"',
      '"C:\\Users\\alice\\AppData\\Roaming\\npm\\node_modules\\ora-agent\\bin\\ora-agent.js"',
      `"start" "--relay" "${RELAY}" "--profile" "private" "--state-dir" "C:\\Users\\alice\\AppData\\Roaming\\ora\\private"`,
    ].join(" ");
    expect(xml).toContain(`<Arguments>/d /s /c "${args} &gt;&gt; "${log}" 2&gt;&amp;1"</Arguments>`);
    expect(xml).toContain("<Command>%SystemRoot%\\System32\\cmd.exe</Command>");
    expect(xml).toMatch(/<LogonTrigger>\s*<Enabled>true<\/Enabled>\s*<UserId>PC\\alice<\/UserId>\s*<\/LogonTrigger>/);
    expect(xml).toMatch(/<LogonType>InteractiveToken<\/LogonType>\s*<RunLevel>LeastPrivilege<\/RunLevel>/);
    expect(xml).toContain("<URI>\\ORA\\ora-agent</URI>");
    expect(service.SERVICE_TARGETS.windows.recorded(xml)).toEqual(service.programArgs(spec, [`--env-file=${spec.envFile}`]));
  });

  it("restarts every minute after a failure, never times out and does not stop on battery", () => {
    const xml = service.taskXml(spec);
    expect(xml).toMatch(/<RestartOnFailure>\s*<Interval>PT1M<\/Interval>\s*<Count>999<\/Count>\s*<\/RestartOnFailure>/);
    expect(xml).toContain("<ExecutionTimeLimit>PT0S</ExecutionTimeLimit>");
    expect(xml).toContain("<StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>");
    expect(xml).toContain("<MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>");
  });

  it("registers the task from the UTF-16 copy and starts it; refuses paths cmd.exe would rewrite", () => {
    const plan = service.SERVICE_TARGETS.windows.install(spec);
    expect(plan.after.map((step) => step.argv)).toEqual([
      ["schtasks", "/Create", "/TN", "ORA\\ora-agent", "/XML", "C:\\Users\\alice\\AppData\\Local\\ora\\service\\ora-agent.xml", "/F"],
      ["schtasks", "/Run", "/TN", "ORA\\ora-agent"],
    ]);
    expect(service.SERVICE_TARGETS.windows.encoding).toBe("utf16le");
    expect(() => service.taskXml({ ...spec, stateDir: "C:\\100%\\ora" })).toThrow('containing " or %');
  });
});

describe("ora-agent service on Linux, with a fake systemctl", () => {
  let m: Machine;
  beforeEach(() => {
    m = machine();
  });

  it("installs, reports and uninstalls the unit, keeping the copied secret in a 0600 file it never prints", () => {
    const installed = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--env", "OPENAI_API_KEY"], { OPENAI_API_KEY: SECRET });
    // Every command says which agent it uses, on stderr; nothing else goes there.
    expect(installed.stderr).toMatch(/^ora-agent: profile private, state \S+, relay https:\/\/relay\.example\.test\n$/);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toContain(`installed ora-agent (systemd user unit): ${m.unit()}`);
    expect(installed.stdout).toContain("journalctl --user -u ora-agent -f");
    expect(installed.stdout).toContain(`loginctl enable-linger ${userInfo().username}`);
    expect(m.calls()).toEqual([
      "systemctl --user daemon-reload",
      "systemctl --user enable ora-agent.service",
      "systemctl --user restart ora-agent.service",
      `loginctl show-user ${userInfo().username} --property=Linger --value`,
    ]);

    const unit = readFileSync(m.unit(), "utf8");
    expect(unit).toContain(`--relay ${RELAY} --profile private --state-dir ${m.stateDir}`);
    expect(unit).toContain(`EnvironmentFile=${m.stateDir}/service.env`);
    expect(unit).not.toContain(SECRET);
    expect(statSync(m.unit()).mode & 0o777).toBe(0o600);
    const envFile = join(m.stateDir, "service.env");
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(statSync(m.stateDir).mode & 0o777).toBe(0o700);
    expect(readFileSync(envFile, "utf8")).toContain(`OPENAI_API_KEY='${SECRET}'`);

    const status = m.run(["status", "--json", "--state-dir", m.stateDir], { OPENAI_API_KEY: SECRET });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      service: "ora-agent",
      file: m.unit(),
      installed: true,
      enabled: "enabled",
      active: "active",
      running: true,
      relay: RELAY,
      profile: "private",
      stateDir: m.stateDir,
      environment: ["OPENAI_API_KEY"],
      logs: "journalctl --user -u ora-agent -f",
      lingering: false,
    });
    const text = m.run(["status"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^active +active$/m);
    expect(text.stdout).toContain(`relay        ${RELAY}`);

    const removed = m.run(["uninstall"]);
    expect(removed.code).toBe(0);
    expect(m.calls()).toContain("systemctl --user disable --now ora-agent.service");
    expect(existsSync(m.unit())).toBe(false);
    expect(existsSync(envFile)).toBe(false);
    expect(existsSync(join(m.stateDir))).toBe(true);
    const after = m.run(["status"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("not installed");

    for (const output of [installed, status, text, removed, after]) expect(output.stdout + output.stderr).not.toContain(SECRET);
  });

  it("takes the relay this profile is registered with when --relay is not given, and refuses another one", () => {
    mkdirSync(m.stateDir, { recursive: true, mode: 0o700 });
    const node = { relay: RELAY, nodeId: "n1", credential: `ora_node_${"A".repeat(75)}`, registeredAt: new Date().toISOString() };
    writeFileSync(join(m.stateDir, "node.json"), JSON.stringify(node), { mode: 0o600 });
    expect(m.run(["install", "--state-dir", m.stateDir]).code).toBe(0);
    expect(readFileSync(m.unit(), "utf8")).toContain(`--relay ${RELAY} `);
    const other = m.run(["install", "--state-dir", m.stateDir, "--relay", "https://other.example.test"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain(`this state directory belongs to the relay ${RELAY}`);
  });

  it("asks which relay when there is neither --relay nor a registration", () => {
    const result = m.run(["install", "--state-dir", m.stateDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("which relay?");
    expect(m.calls()).toEqual([]);
  });

  it("names the shared profile's unit ora-agent-shared.service, and turns lingering on with --linger", () => {
    const result = m.run(["install", "--profile", "shared", "--relay", RELAY, "--state-dir", m.stateDir, "--linger"]);
    expect(result.code).toBe(0);
    expect(existsSync(m.unit("ora-agent-shared.service"))).toBe(true);
    expect(m.calls()).toEqual([
      "systemctl --user daemon-reload",
      "systemctl --user enable ora-agent-shared.service",
      "systemctl --user restart ora-agent-shared.service",
      `loginctl enable-linger ${userInfo().username}`,
    ]);
    expect(result.stdout).not.toContain("enable-linger");
    const status = JSON.parse(m.run(["status", "--profile", "shared", "--json"]).stdout);
    expect(status).toMatchObject({ service: "ora-agent-shared", profile: "shared", lingering: true });
  });

  it("keeps the environment file of an earlier install when installed again without --env", () => {
    m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--env", "OPENAI_API_KEY"], { OPENAI_API_KEY: SECRET });
    const again = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("environment  OPENAI_API_KEY");
    expect(readFileSync(m.unit(), "utf8")).toContain("EnvironmentFile=");
    expect(again.stdout).not.toContain(SECRET);
  });

  it("prints the unit and the commands with --dry-run, and writes or runs nothing", () => {
    const result = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--env", "OPENAI_API_KEY", "--dry-run"], { OPENAI_API_KEY: SECRET });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("RestartPreventExitStatus=2 4");
    expect(result.stdout).toContain("OPENAI_API_KEY=…");
    expect(result.stdout).toContain("systemctl --user enable ora-agent.service");
    expect(result.stdout).not.toContain(SECRET);
    expect(m.calls()).toEqual([]);
    expect(existsSync(m.unit())).toBe(false);
    expect(existsSync(m.stateDir)).toBe(false);
  });

  it("previews another OS's service with --platform, only together with --dry-run", () => {
    const mac = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--dry-run", "--platform", "macos"]);
    expect(mac.code).toBe(0);
    expect(mac.stdout).toContain("<key>KeepAlive</key>");
    expect(mac.stdout).toContain("launchctl bootstrap gui/");
    const windows = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--dry-run", "--platform", "windows"]);
    expect(windows.stdout).toContain("schtasks /Create /TN ORA\\ora-agent");
    const refused = m.run(["install", "--relay", RELAY, "--platform", "macos"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("add --dry-run");
    expect(m.calls()).toEqual([]);
  });

  it("refuses to copy a variable that is not set, or one whose value it cannot write faithfully", () => {
    const unset = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--env", "ORA_NOT_SET_ANYWHERE"]);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain("ORA_NOT_SET_ANYWHERE is not set");
    const odd = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir, "--env", "ODD"], { ODD: `it's "odd" ${SECRET}` });
    expect(odd.code).toBe(2);
    expect(odd.stderr).not.toContain(SECRET);
    expect(existsSync(m.unit())).toBe(false);
  });

  it("says which systemctl command failed and why, e.g. without a user session", () => {
    writeFileSync(join(m.home, "bin", "systemctl"), '#!/bin/sh\necho "Failed to connect to bus: No medium found" >&2\nexit 1\n', { mode: 0o755 });
    const result = m.run(["install", "--relay", RELAY, "--state-dir", m.stateDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("systemctl --user daemon-reload failed: Failed to connect to bus: No medium found");
  });
});

describe("the service environment file", () => {
  it("is read the same way by Node's --env-file as it is written", () => {
    const vars = { PLAIN: "sk-abc", SPACES: "  a b  ", HASH: "x#y", DOLLAR: "$HOME\\n", APOSTROPHE: "it's" };
    const dir = mkdtempSync(join(tmpdir(), "ora-env-"));
    const file = join(dir, "service.env");
    service.writeEnvFile(file, vars);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const read = spawnSync(
      process.execPath,
      [`--env-file=${file}`, "-e", `process.stdout.write(JSON.stringify(${JSON.stringify(Object.keys(vars))}.map((k) => process.env[k])))`],
      {
        encoding: "utf8",
        env: { PATH: process.env.PATH },
      },
    );
    expect(JSON.parse(read.stdout)).toEqual(Object.values(vars));
    expect(service.envNames(file)).toEqual(Object.keys(vars));
  });
});
