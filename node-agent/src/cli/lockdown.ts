import { ControlError } from "../control/client.js";
import { UserError } from "../errors.js";
import { askAgent, configFrom, type Command } from "./command.js";

export const lockdownCommand: Command = {
  usage: `Usage: ora-agent lockdown

Puts this PC in lockdown at once, through the running agent: every waiting
approval and task is cancelled, schedules pause, HIGH and CRITICAL calls are
refused, the relay closes every device's session and refuses new ones and new
pairings. It lasts across restarts until you end it here with: ora-agent unlock`,
  async run({ flags }) {
    const config = configFrom(flags);
    try {
      const entered = await askAgent(config, "lockdown.enter", {});
      const out = (line: string) => process.stdout.write(`${line}\n`);
      out(entered.already ? "ora-agent: this PC was already in lockdown" : "ora-agent: this PC is in lockdown");
      out(`  cancelled tasks: ${entered.cancelledTasks}`);
      out(`  closed sessions: ${entered.closedSessions ?? "the relay could not be told yet; the agent tells it as soon as it reconnects"}`);
      out(`End it with: ${config.cli("unlock")}`);
      return 0;
    } catch (error) {
      if (error instanceof ControlError) throw new UserError(`${error.code}: ${error.message}`, 1);
      throw error;
    }
  },
};

export const unlockCommand: Command = {
  usage: `Usage: ora-agent unlock

Ends this PC's lockdown: the relay accepts devices and pairing again, schedules go
on (what fell due meanwhile follows its catch-up rule), and HIGH and CRITICAL calls
ask for an approval again. What the lockdown cancelled stays cancelled.`,
  async run({ flags }) {
    const config = configFrom(flags);
    try {
      await askAgent(config, "lockdown.exit", {});
      process.stdout.write("ora-agent: the lockdown is over\n");
      return 0;
    } catch (error) {
      if (error instanceof ControlError) throw new UserError(`${error.code}: ${error.message}`, 1);
      throw error;
    }
  },
};
