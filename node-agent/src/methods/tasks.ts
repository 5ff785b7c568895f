/**
 * Durable tasks over the relay and the control socket: a requester sees and cancels its own, an
 * owner everyone's (safety/tasks.ts decides). Task changes are pushed as `task` events (start.ts).
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { type Safety, TaskError } from "../safety/index.js";

export function registerTaskMethods(registry: HandlerRegistry, safety: Safety): void {
  registry
    .register("tasks.list", ({ open, limit }, { requester }) => ({ tasks: safety.tasks.list(requester, { open, limit }) }))
    .register("tasks.get", ({ id }, { requester }) => ({ task: taskCall(() => safety.tasks.visible(id, requester)) }))
    .register("tasks.cancel", ({ id }, { requester }) => ({ task: taskCall(() => safety.tasks.cancel(id, requester)) }));
}

function taskCall<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (error instanceof TaskError) throw new HandlerError(error.code, error.message);
    throw error;
  }
}
