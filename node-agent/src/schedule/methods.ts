/**
 * schedules.list / create / cancel, for devices and the PC's command line. Creating goes through the
 * enforcement point as the schedule.create or schedule.job tool, so the policy that applies to the
 * model applies here too (a guest of the private profile cannot schedule jobs).
 */
import { METHODS } from "@ora/protocol";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { asHandlerError, callTool, describe } from "../methods/tools.js";
import type { Safety } from "../safety/index.js";
import type { ScheduleService } from "./service.js";

export function registerScheduleMethods(registry: HandlerRegistry, safety: Safety, service: ScheduleService): void {
  registry
    .register("schedules.list", ({ runs, finished }, { requester }) => service.list(requester, { runs, finished }))
    .register("schedules.create", async ({ action, ...args }, context) => {
      const tool = action === "job" ? "schedule.job" : "schedule.create";
      const outcome = await callTool(safety, context, tool, args, `schedules.create from ${describe(context)}`);
      if (outcome.status !== "done") throw new HandlerError("failed", `${tool} waits for an approval as task ${outcome.task.id}`);
      return METHODS["schedules.create"].result.parse(outcome.result);
    })
    .register("schedules.cancel", ({ id }, { requester }) => {
      try {
        return { schedule: service.cancel(requester, id) };
      } catch (error) {
        throw asHandlerError(error);
      }
    });
}
