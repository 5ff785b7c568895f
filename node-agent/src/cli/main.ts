/** `ora-agent <command>`: dispatch, help, and the one place where errors become exit codes. */
import { parseArgs } from "node:util";
import { redact } from "../log.js";
import type { Command } from "./command.js";
import { COMMON_HELP, COMMON_OPTIONS } from "./common-options.js";
import { UserError } from "../errors.js";
import { AGENT_VERSION } from "../version.js";

/**
 * Each command's module is loaded only when it runs: `ora-agent --help` and light commands like
 * `status` do not pay for the SDKs, the database or the relay client that `start` needs.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: { summary: "connect this PC to its relay and answer requests (registers on first run)", load: async () => (await import("./start.js")).startCommand },
  service: {
    summary: "keep the agent running in the background, from login on (service install | uninstall | status)",
    load: async () => (await import("./service.js")).serviceCommand,
  },
  status: { summary: "show whether the agent is running and connected", load: async () => (await import("./status.js")).statusCommand },
  pair: {
    summary: "pair a phone, browser or another computer with this PC (shows a one-time code)",
    load: async () => (await import("./pair.js")).pairCommand,
  },
  devices: { summary: "list paired devices; rotate, rename or revoke one", load: async () => (await import("./devices.js")).devicesCommand },
  revoke: { summary: "end a paired device's access at once (revoke <device>)", load: async () => (await import("./devices.js")).revokeCommand },
  remote: {
    summary: "use a secretary on another PC from this terminal (remote pair | ask | call | get | put | status)",
    load: async () => (await import("./remote.js")).remoteCommand,
  },
  approvals: { summary: "list the tool calls waiting for your approval", load: async () => (await import("./approvals.js")).approvalsCommand },
  approve: {
    summary: "approve a waiting tool call (approve <id> [--code NNNNNN] [--always …])",
    load: async () => (await import("./approve.js")).approveCommand,
  },
  deny: { summary: "deny a waiting tool call (deny <id>)", load: async () => (await import("./deny.js")).denyCommand },
  rules: {
    summary: "standing rules that allow a HIGH tool without asking (rules [--all] | revoke <id> | edit <id> --until <when>)",
    load: async () => (await import("./rules.js")).rulesCommand,
  },
  tasks: {
    summary: "calls that wait for an approval or ran later, and how they ended (tasks [--all] | tasks cancel <id>)",
    load: async () => (await import("./tasks.js")).tasksCommand,
  },
  lockdown: {
    summary: "stop everything at once: refuse risky calls, cancel what waits, close other devices",
    load: async () => (await import("./lockdown.js")).lockdownCommand,
  },
  unlock: { summary: "end a lockdown (only here, at the PC)", load: async () => (await import("./lockdown.js")).unlockCommand },
  schedules: {
    summary: "reminders and scheduled jobs, with their next run (schedules [--all] | add <when> <what> | cancel <id>)",
    load: async () => (await import("./schedules.js")).schedulesCommand,
  },
  audit: { summary: "show the audit log, or check it has not been altered (audit verify)", load: async () => (await import("./audit.js")).auditCommand },
  memory: { summary: "show, search or forget the secretary's conversation history", load: async () => (await import("./memory.js")).memoryCommand },
  mcp: { summary: "list the configured MCP servers and the tools they offer, with their risks", load: async () => (await import("./mcp.js")).mcpCommand },
  discord: {
    summary: "talk to the secretary through a Discord bot (discord setup | status | off)",
    load: async () => (await import("./discord.js")).discordCommand,
  },
  models: { summary: "list the language-model providers and whether each is usable", load: async () => (await import("./models.js")).modelsCommand },
  secrets: { summary: "show where the secrets are (OS keychain or file), or move them", load: async () => (await import("./secrets.js")).secretsCommand },
  doctor: { summary: "check the whole setup and say what to fix", load: async () => (await import("./doctor.js")).doctorCommand },
  update: {
    summary: "install a newer ora-agent from the signed release manifest (or roll back)",
    load: async () => (await import("./update.js")).updateCommand,
  },
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
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`ora-agent: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  let command: Command | undefined;
  try {
    // Relay answers and frames are checked with the protocol's schemas (English messages when they
    // fail); the protocol, and with it the schema library, loads with the command, not for --help.
    const [loaded, { useEnglishSchemaMessages }] = await Promise.all([entry.load(), import("@ora/protocol/schema-messages")]);
    useEnglishSchemaMessages();
    command = loaded;
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
      process.stderr.write(`ora-agent ${name}: ${error.message}\n\n${command?.usage ?? ""}\n`);
      return 2;
    }
    process.stderr.write(`ora-agent: internal error: ${redact(error instanceof Error ? error.message : String(error))}\n`);
    return 1;
  }
}
