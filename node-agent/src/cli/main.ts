/** `ora-agent <command>`: dispatch, help, and the one place where errors become exit codes. */
import { parseArgs } from "node:util";
import { redact } from "../log.js";
import { approvalsCommand } from "./approvals.js";
import { approveCommand } from "./approve.js";
import { auditCommand } from "./audit.js";
import { COMMON_HELP, COMMON_OPTIONS, type Command } from "./command.js";
import { denyCommand } from "./deny.js";
import { devicesCommand, revokeCommand } from "./devices.js";
import { discordCommand } from "./discord.js";
import { doctorCommand } from "./doctor.js";
import { lockdownCommand, unlockCommand } from "./lockdown.js";
import { mcpCommand } from "./mcp.js";
import { memoryCommand } from "./memory.js";
import { modelsCommand } from "./models.js";
import { pairCommand } from "./pair.js";
import { remoteCommand } from "./remote.js";
import { rulesCommand } from "./rules.js";
import { serviceCommand } from "./service.js";
import { UserError } from "../errors.js";
import { startCommand } from "./start.js";
import { statusCommand } from "./status.js";
import { schedulesCommand } from "./schedules.js";
import { secretsCommand } from "./secrets.js";
import { tasksCommand } from "./tasks.js";
import { updateCommand } from "./update.js";
import { AGENT_VERSION } from "../version.js";
import { useEnglishSchemaMessages } from "@ora/protocol";

// Relay answers and frames are checked with the protocol's schemas: English messages when they fail.
useEnglishSchemaMessages();

const COMMANDS: Record<string, Command> = {
  start: startCommand,
  service: serviceCommand,
  status: statusCommand,
  pair: pairCommand,
  devices: devicesCommand,
  revoke: revokeCommand,
  remote: remoteCommand,
  approvals: approvalsCommand,
  approve: approveCommand,
  deny: denyCommand,
  rules: rulesCommand,
  tasks: tasksCommand,
  lockdown: lockdownCommand,
  unlock: unlockCommand,
  schedules: schedulesCommand,
  audit: auditCommand,
  memory: memoryCommand,
  mcp: mcpCommand,
  discord: discordCommand,
  models: modelsCommand,
  secrets: secretsCommand,
  doctor: doctorCommand,
  update: updateCommand,
};

function overview(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `ora-agent: your AI secretary on your own PC, reachable through its relay.

Usage: ora-agent <command> [options]

Commands:
${lines.join("\n")}

${COMMON_HELP}

Run "ora-agent <command> --help" for a command's details.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(overview());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(`ora-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ora-agent: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
    if (values.help) {
      process.stdout.write(`${command.usage}\n\n${COMMON_HELP}\n`);
      return 0;
    }
    return await command.run({ flags: values, positionals });
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`ora-agent: ${redact(error.message)}\n`);
      return error.exitCode;
    }
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`ora-agent ${name}: ${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`ora-agent: internal error: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}
