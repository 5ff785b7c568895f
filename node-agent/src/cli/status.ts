import { openSecrets } from "../safety/secrets.js";
import { processAlive, readNodeFile, readStatus } from "../state.js";
import { newerAgentLine, newerRelease, readReleaseNews } from "../update/release-news.js";
import { AGENT_VERSION } from "../version.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";
import { discordLine, discordOverview } from "./discord-status.js";
import { secretsLine } from "./secrets.js";
import { lockdownLine, lockdownOf } from "../lockdown/read.js";

export const statusCommand: Command = {
  usage: `Usage: ora-agent status [--json]

Reads the running agent's status from its state directory. Exit code 0 when the
agent is running and connected, 1 otherwise.`,
  options: { json: { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags, { quiet: true });
    const credential = readNodeFile(config.stateDir);
    const status = readStatus(config.stateDir);
    const running = status !== null && status.status !== "stopped" && processAlive(status.pid);
    const connected = running && status.status === "connected";
    const newer = newerRelease(readReleaseNews(config.stateDir), AGENT_VERSION);
    const discord = discordSummary(config.stateDir);
    const lockdown = lockdownOf(config.stateDir);
    const report = {
      profile: config.profile,
      stateDir: config.stateDir,
      registered: credential !== null,
      relay: credential?.relay ?? config.relay,
      nodeId: credential?.nodeId ?? null,
      running,
      connected,
      state: running ? status.status : "not running",
      since: running ? status.since : null,
      detail: status?.detail ?? null,
      secrets: openSecrets(config.stateDir).report(),
      version: AGENT_VERSION,
      runningVersion: running ? (status.version ?? null) : null,
      newerVersion: newer,
      discord,
      lockdown,
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        `profile     ${report.profile} (${report.stateDir})`,
        `relay       ${report.relay}`,
        `node        ${report.nodeId ?? `not registered yet (run ${config.cli("start")})`}`,
        `secrets     ${secretsLine(report.secrets)}`,
        `agent       ${report.state}${report.since ? ` since ${report.since}` : ""}${report.detail ? ` (${report.detail})` : ""}`,
        `version     ${versionLine(report.version, report.runningVersion, newer)}`,
        `discord     ${discord}`,
        `lockdown    ${lockdownLine(lockdown, config.cli("unlock"))}`,
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    return connected ? 0 : 1;
  },
};

/** "off", "connected as Ora since …", …; a damaged Discord file is doctor's to explain, not a reason to fail here. */
function discordSummary(stateDir: string): string {
  try {
    return discordLine(discordOverview(stateDir));
  } catch (error) {
    if (error instanceof UserError) return `unreadable (${error.message})`;
    throw error;
  }
}

function versionLine(version: string, running: string | null, newer: string | null): string {
  const restart = running !== null && running !== version ? ` (the running agent is ${running} until it restarts)` : "";
  return `${version}${restart}${newer ? `; ${newerAgentLine(newer, version)}` : ""}`;
}
