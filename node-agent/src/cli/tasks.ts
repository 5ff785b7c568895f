import { ControlError } from "../control/client.js";
import { UserError } from "../errors.js";
import { askAgent, configFrom, type Command } from "./command.js";
import { taskLine } from "./task-line.js";

export const tasksCommand: Command = {
  usage: `Usage: ora-agent tasks [--all] [--json]
       ora-agent tasks cancel <id>

A call that needs your approval does not block the device that asked: it becomes
a task on this PC, which runs once when you approve it (ora-agent approve) and
tells the device how it ended. Lists the open tasks of the running agent, every
device's (--all: finished ones too), with their state and age. "cancel" ends a
task that has not run; its approval is withdrawn.`,
  options: { all: { type: "boolean" }, json: { type: "boolean" } },
  async run({ flags, positionals }) {
    const config = configFrom(flags);
    const [action = "list", id, ...extra] = positionals;
    try {
      if (action === "cancel") {
        if (!id || extra.length > 0) throw new UserError(`which task? ${config.cli("tasks cancel")} <id> (see: ${config.cli("tasks")})`);
        const { task } = await askAgent(config, "tasks.cancel", { id: id.toLowerCase() });
        process.stdout.write(`${taskLine(task)}\n`);
        return 0;
      }
      if (action !== "list" || id !== undefined)
        throw new UserError(`unknown tasks action "${positionals.join(" ")}": use ${config.cli("tasks")} [--all], or tasks cancel <id>`);
      const { tasks } = await askAgent(config, "tasks.list", { open: flags.all !== true, limit: 200 });
      if (flags.json) process.stdout.write(`${JSON.stringify(tasks, null, 2)}\n`);
      else if (tasks.length === 0) process.stdout.write(flags.all ? "no tasks yet\n" : "no open tasks (--all shows finished ones)\n");
      else for (const task of tasks) process.stdout.write(`${taskLine(task)}\n`);
      return 0;
    } catch (error) {
      if (error instanceof ControlError) throw new UserError(`${error.code}: ${error.message}`, 1);
      throw error;
    }
  },
};
