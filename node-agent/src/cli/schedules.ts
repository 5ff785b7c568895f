import type { Schedule, ScheduleRun } from "@ora/protocol";
import { ControlError } from "../control/client.js";
import { UserError } from "../errors.js";
import { formatLocal } from "../schedule/when.js";
import { escapeControls } from "../text.js";
import { askAgent, configFrom, type Command } from "./command.js";

const RUN_WORDS: Record<ScheduleRun["state"], string> = {
  started: "running",
  delivered: "delivered",
  skipped: "skipped",
  failed: "failed",
  interrupted: "interrupted",
};

export const schedulesCommand: Command = {
  usage: `Usage: ora-agent schedules [--all] [--json]
       ora-agent schedules add <when> <what>
       ora-agent schedules cancel <id>

Lists every user's active reminders and scheduled jobs in the running agent, soonest
first, with the next run in this computer's local time (--all: finished ones too,
and the recent runs: delivered, skipped, late).

"add" sets a reminder, reading the time like /remind in chat does, and says
exactly which time it understood:
  ora-agent schedules add tomorrow 9am call the bank
  ora-agent schedules add in 20 minutes take the pasta out
  ora-agent schedules add every monday 8:00 team call
  ora-agent schedules add 明日9時 銀行に電話
Times are read in ORA_TIME_ZONE as the agent has it (default: this PC's zone).
"cancel" stops one; it will not run again.`,
  options: { all: { type: "boolean" }, json: { type: "boolean" } },
  async run({ flags, positionals }) {
    const config = configFrom(flags);
    const [action = "list", ...rest] = positionals;
    try {
      if (action === "cancel") {
        const [id, ...extra] = rest;
        if (!id || extra.length > 0) throw new UserError(`which schedule? ${config.cli("schedules cancel")} <id> (see: ${config.cli("schedules")})`);
        const { schedule } = await askAgent(config, "schedules.cancel", { id });
        process.stdout.write(`cancelled: ${scheduleLine(schedule)}\n`);
        return 0;
      }
      if (action === "add") {
        if (rest.length === 0) throw new UserError(`say when and what: ${config.cli("schedules add")} tomorrow 9am call the bank`);
        const answer = await askAgent(config, "chat", { text: `/remind ${rest.join(" ")}` });
        process.stdout.write(`${answer.text}\n`);
        if (!answer.schedule) return 1;
        process.stdout.write(`(to cancel it: ${config.cli("schedules cancel", answer.schedule.id)})\n`);
        return 0;
      }
      if (action !== "list" || rest.length > 0)
        throw new UserError(
          `unknown schedules action "${positionals.join(" ")}": use ${config.cli("schedules")} [--all], schedules add <when> <what> or schedules cancel <id>`,
        );
      const all = flags.all === true;
      const { schedules, runs } = await askAgent(config, "schedules.list", { finished: all, runs: all ? 50 : 0 });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ schedules, runs }, null, 2)}\n`);
        return 0;
      }
      if (schedules.length === 0)
        process.stdout.write(all ? "no schedules yet\n" : `no active schedules (--all shows finished ones; "${config.cli("schedules add")} …" sets one)\n`);
      for (const schedule of schedules) process.stdout.write(`${scheduleLine(schedule)}\n`);
      if (runs.length > 0) {
        process.stdout.write("\nrecent runs:\n");
        for (const run of runs) process.stdout.write(`${runLine(run)}\n`);
      }
      return 0;
    } catch (error) {
      if (error instanceof ControlError) throw new UserError(`${error.code}: ${error.message}`, 1);
      throw error;
    }
  },
};

const here = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** "s3k…  Mon 30 Nov 09:00 Europe/Paris  reminder  call the bank  (owner)". */
export function scheduleLine(schedule: Schedule): string {
  const next = schedule.nextAt === null ? schedule.state.padEnd(20) : formatLocal(schedule.nextAt, here()).padEnd(20);
  const zone = schedule.timeZone === here() ? "" : ` [${schedule.timeZone}]`;
  const pattern = schedule.kind === "recurring" ? `  ${schedule.when}${zone}` : "";
  return `${schedule.id}  ${next}  ${schedule.action.padEnd(8)}  ${escapeControls(schedule.text)}${pattern}  (${schedule.user})`;
}

function runLine(run: ScheduleRun): string {
  const by = run.notifiedBy === "relay" ? ", notified by the relay" : "";
  const detail = run.detail ? ` — ${escapeControls(run.detail)}` : "";
  return `${formatLocal(run.dueAt, here())}  ${RUN_WORDS[run.state].padEnd(11)} ${run.action}: ${escapeControls(run.text)}${by}${detail}`;
}
