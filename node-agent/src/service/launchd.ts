/**
 * macOS: a launchd agent in ~/Library/LaunchAgents, loaded into the user's GUI domain
 * (`launchctl bootstrap gui/<uid>`), so it starts at login and runs while the user is logged in.
 * launchd keeps no journal for an agent's output: it goes to ~/Library/Logs/ora-agent/, which
 * Console.app shows. KeepAlive restarts it after a failed exit, at most every ThrottleInterval seconds;
 * unlike systemd, launchd cannot spare the exit codes that mean a configuration problem (2, 4), so
 * such an agent is retried at that pace until fixed, each attempt saying why in the log.
 */
import { posix } from "node:path";
import { escapeXml, unescapeXml } from "./xml.js";
import { programArgs, type ServiceId, type ServiceSpec, type ServiceTarget } from "./spec.js";

const THROTTLE_SECONDS = 30;

export function launchdPlist(spec: ServiceSpec): string {
  const log = launchdTarget.logFile!(spec);
  const args = programArgs(spec, spec.envFile ? [`--env-file=${spec.envFile}`] : []);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ORA agent, ${escapeXml(spec.profile)} profile: written by "ora-agent service install", removed by "ora-agent service uninstall". -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${escapeXml(spec.name)}</string>
  <key>ProgramArguments</key>
  <array>
${args.map((arg) => `    <string>${escapeXml(arg)}</string>`).join("\n")}
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>${escapeXml(spec.path)}</string>
  </dict>
  <key>WorkingDirectory</key>
  <string>${escapeXml(spec.host.home)}</string>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>${THROTTLE_SECONDS}</integer>
  <key>Umask</key>
  <integer>${0o077}</integer>
  <key>StandardOutPath</key>
  <string>${escapeXml(log)}</string>
  <key>StandardErrorPath</key>
  <string>${escapeXml(log)}</string>
</dict>
</plist>
`;
}

const domain = (id: ServiceId) => `gui/${id.host.uid}`;
const service = (id: ServiceId) => `${domain(id)}/${id.name}`;

export const launchdTarget: ServiceTarget = {
  kind: "launchd agent",
  encoding: "utf8",
  file: (id) => posix.join(id.host.home, "Library", "LaunchAgents", `${id.name}.plist`),
  render: launchdPlist,
  recorded(text) {
    const array = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(text)?.[1];
    if (array === undefined) return null;
    return [...array.matchAll(/<string>([\s\S]*?)<\/string>/g)].map((m) => unescapeXml(m[1]!));
  },
  install: (id) => ({
    // bootstrap refuses a label that is already loaded: unload the old definition first.
    before: [{ argv: ["launchctl", "bootout", service(id)], mayFail: true }],
    after: [{ argv: ["launchctl", "enable", service(id)] }, { argv: ["launchctl", "bootstrap", domain(id), launchdTarget.file(id)] }],
  }),
  uninstall: (id) => ({ before: [{ argv: ["launchctl", "bootout", service(id)], mayFail: true }], after: [] }),
  query(id, runner) {
    const result = runner.run(["launchctl", "print", service(id)]);
    if (result.code === null) return { enabled: "unknown (launchctl not found)", active: "unknown", running: false };
    if (result.code !== 0) return { enabled: "not loaded (starts at next login)", active: "inactive", running: false };
    const state = /^\s*state = (.+)$/m.exec(result.stdout)?.[1]?.trim() ?? "unknown";
    return { enabled: "loaded (starts at login)", active: state, running: state === "running" };
  },
  logs: (id) => `tail -f ${launchdTarget.logFile!(id)}`,
  logFile: (id) => posix.join(id.host.home, "Library", "Logs", "ora-agent", `${id.name}.log`),
};
