/**
 * Durable tasks: work that cannot finish while its request is open (above all a call that waits for
 * an owner's approval) becomes a task on the PC. The request answers at once with the task; the task
 * runs exactly once when the owner decides, keeps its result, and its requester is told (a `task`
 * push to its open sessions, and a notification).
 */
import * as z from "zod/mini";
import { APP_ERROR_CODES } from "../errors.js";
import { EVERYONE, method } from "./define.js";
import { ApprovalRisk, Requester } from "./schemas.js";

export const TASK_STATES = ["waiting_approval", "running", "done", "failed", "denied", "expired", "cancelled"] as const;
export const TaskState = z.enum(TASK_STATES);
export type TaskState = z.infer<typeof TaskState>;
/** The states a task never leaves. */
export const FINAL_TASK_STATES = ["done", "failed", "denied", "expired", "cancelled"] as const satisfies readonly TaskState[];

export const Task = z.object({
  id: z.string(),
  state: TaskState,
  tool: z.string(),
  argsHash: z.string(),
  risk: ApprovalRisk,
  requester: Requester,
  /** The conversation the call came from, when a chat made it. */
  conversation: z.nullable(z.string()),
  /** The approval it waits on (an approval belongs to exactly one task). */
  approval: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Until when the approval may be given; the task expires then. */
  expiresAt: z.number(),
  finishedAt: z.nullable(z.number()),
  /** The tool's result, once done. */
  result: z.optional(z.unknown()),
  /** Why it did not finish as done. */
  error: z.optional(z.object({ code: z.enum(APP_ERROR_CODES), message: z.string() })),
});
export type Task = z.infer<typeof Task>;

export const taskMethods = {
  "tasks.list": method({
    description: "Your tasks, newest first (owners see everyone's); `open` for those still waiting or running.",
    roles: EVERYONE,
    params: z._default(z.object({ open: z._default(z.boolean(), false), limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(200)), 50) }), {
      open: false,
      limit: 50,
    }),
    result: z.object({ tasks: z.array(Task) }),
  }),
  "tasks.get": method({
    description: "One of your tasks (owners: any task), with its result once it has one.",
    roles: EVERYONE,
    params: z.object({ id: z.string().check(z.minLength(1), z.maxLength(64)) }),
    result: z.object({ task: Task }),
  }),
  "tasks.cancel": method({
    description: "Cancels a task that has not run yet (its requester or an owner); its approval is withdrawn.",
    roles: EVERYONE,
    params: z.object({ id: z.string().check(z.minLength(1), z.maxLength(64)) }),
    result: z.object({ task: Task }),
  }),
};

export const taskEvents = {
  task: {
    description: "A task changed state (created, started, finished); sent to its requester's devices and to owner devices.",
    data: z.object({ task: Task }),
  },
};
