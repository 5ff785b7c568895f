/**
 * Windows: a Scheduled Task (\ORA\ora-agent) that starts at the user's logon, as that user, with no
 * time limit and Task Scheduler's restart on failure (every minute, up to 999 times; Windows allows no
 * shorter interval). What Task Scheduler counts as a failure has not been checked on Windows: it may
 * only be a failure to start, not a non-zero exit. Task Scheduler keeps only a task's history, not its
 * output, so the task runs the agent through cmd.exe to append its output to
 * %LOCALAPPDATA%\ora\logs\<name>.log; with an interactive logon that cmd.exe has a console window.
 * Like a logged-in launchd agent it ends when the user logs off: running without a session needs the
 * user's password stored with the task, which this installer does not ask for.
 *
 * schtasks /Create /XML reads the definition in UTF-16, as Task Scheduler itself exports it.
 */
import { win32 } from "node:path";
import { UserError } from "../errors.js";
import { escapeXml, unescapeXml } from "./xml.js";
import { programArgs, type ServiceId, type ServiceSpec, type ServiceTarget } from "./spec.js";

export const taskName = (id: ServiceId) => `ORA\\${id.name}`;

export function taskXml(spec: ServiceSpec): string {
  const args = programArgs(spec, spec.envFile ? [`--env-file=${spec.envFile}`] : []);
  for (const arg of args) {
    // cmd.exe expands %VAR% even inside quotes, and no quoting can carry a double quote through it.
    if (/["%]/.test(arg)) throw new UserError(`the service cannot run a path or argument containing " or % on Windows: ${arg}`);
  }
  const log = windowsTarget.logFile!(spec);
  // cmd /s /c "…": cmd drops the outer quotes and runs the rest as one line, redirection included.
  const line = `/d /s /c "${args.map((arg) => `"${arg}"`).join(" ")} >> "${log}" 2>&1"`;
  return `<?xml version="1.0" encoding="UTF-16"?>
<!-- ORA agent, ${escapeXml(spec.profile)} profile: written by "ora-agent service install", removed by "ora-agent service uninstall". -->
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Author>ora-agent</Author>
    <Description>ORA agent (${escapeXml(spec.profile)} profile) connected to ${escapeXml(spec.relay)}. Logs: ${escapeXml(log)}</Description>
    <URI>\\${escapeXml(taskName(spec))}</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
      <UserId>${escapeXml(spec.host.user)}</UserId>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>${escapeXml(spec.host.user)}</UserId>
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <Priority>7</Priority>
    <RestartOnFailure>
      <Interval>PT1M</Interval>
      <Count>999</Count>
    </RestartOnFailure>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>%SystemRoot%\\System32\\cmd.exe</Command>
      <Arguments>${escapeXml(line)}</Arguments>
      <WorkingDirectory>${escapeXml(spec.host.home)}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
`;
}

const localAppData = (id: ServiceId) => id.host.env.LOCALAPPDATA || win32.join(id.host.home, "AppData", "Local");
const schtasks = (...args: string[]) => ["schtasks", ...args];

export const windowsTarget: ServiceTarget = {
  kind: "Scheduled Task",
  encoding: "utf16le",
  file: (id) => win32.join(localAppData(id), "ora", "service", `${id.name}.xml`),
  render: taskXml,
  recorded(text) {
    const line = /<Arguments>([\s\S]*?)<\/Arguments>/.exec(text)?.[1];
    const inner = line === undefined ? undefined : /^\/d \/s \/c "(.*)"$/.exec(unescapeXml(line))?.[1];
    if (inner === undefined) return null;
    // Every program argument is quoted and none contains a quote (taskXml refuses them); the last
    // quoted word is the log file, after the redirection.
    const words = [...inner.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    return words.slice(0, -1);
  },
  install: (id) => ({
    before: [],
    after: [{ argv: schtasks("/Create", "/TN", taskName(id), "/XML", windowsTarget.file(id), "/F") }, { argv: schtasks("/Run", "/TN", taskName(id)) }],
  }),
  uninstall: (id) => ({
    before: [
      { argv: schtasks("/End", "/TN", taskName(id)), mayFail: true },
      { argv: schtasks("/Delete", "/TN", taskName(id), "/F"), mayFail: true },
    ],
    after: [],
  }),
  query(id, runner) {
    const result = runner.run(schtasks("/Query", "/TN", taskName(id), "/FO", "LIST"));
    if (result.code === null) return { enabled: "unknown (schtasks not found)", active: "unknown", running: false };
    if (result.code !== 0) return { enabled: "not registered", active: "inactive", running: false };
    // schtasks speaks the system's language; these are the English labels.
    const status = /^Status:\s*(.+)$/m.exec(result.stdout)?.[1]?.trim() ?? "unknown";
    return { enabled: status === "Disabled" ? "disabled" : "enabled (starts at logon)", active: status, running: status === "Running" };
  },
  logs: (id) => `Get-Content -Wait "${windowsTarget.logFile!(id)}"`,
  logFile: (id) => win32.join(localAppData(id), "ora", "logs", `${id.name}.log`),
};
