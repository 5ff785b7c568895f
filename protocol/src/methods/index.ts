/**
 * The method catalogue: every method a client can call on its agent and every event the agent
 * pushes, with their schemas. This is the application layer that travels sealed inside data frames
 * (payload.ts); the relay never sees it.
 *
 * Adding a method: give it an entry here (in the file of its area), then register its handler in the
 * agent; the agent's registry refuses a handler for a method that is not here, the compiler checks
 * the handler's result against the schema, and clients get the method typed. docs/PROTOCOL.md lists
 * every method (a test keeps the two in step).
 */
import type * as z from "zod/mini";
import { approvalEvents, approvalMethods } from "./approvals.js";
import { chatEvents, chatMethods } from "./chat.js";
import type { EventSpec, MethodSpec } from "./define.js";
import { deviceMethods } from "./devices.js";
import { diagnosticMethods } from "./diagnostics.js";
import { fileMethods } from "./files.js";
import { lockdownEvents, lockdownMethods } from "./lockdown.js";
import { notificationMethods } from "./notifications.js";
import { passkeyMethods } from "./passkeys.js";
import { ruleMethods } from "./rules.js";
import { scheduleEvents, scheduleMethods } from "./schedules.js";
import { taskEvents, taskMethods } from "./tasks.js";
import { toolMethods } from "./tools.js";

export const METHODS = {
  ...diagnosticMethods,
  ...toolMethods,
  ...fileMethods,
  ...approvalMethods,
  ...chatMethods,
  ...deviceMethods,
  ...taskMethods,
  ...notificationMethods,
  ...scheduleMethods,
  ...ruleMethods,
  ...passkeyMethods,
  ...lockdownMethods,
} satisfies Record<string, MethodSpec>;

export const EVENTS = { ...approvalEvents, ...taskEvents, ...chatEvents, ...scheduleEvents, ...lockdownEvents } satisfies Record<string, EventSpec>;

export type Methods = typeof METHODS;
export type MethodName = keyof Methods;
/** What a caller may send (defaults not yet applied). */
export type ParamsInput<M extends MethodName> = z.input<Methods[M]["params"]>;
/** What a handler receives (validated, defaults applied). */
export type Params<M extends MethodName> = z.output<Methods[M]["params"]>;
export type Result<M extends MethodName> = z.output<Methods[M]["result"]>;
export type Chunk<M extends MethodName> = Methods[M] extends { chunk: infer C extends z.ZodMiniType } ? z.output<C> : never;

export type Events = typeof EVENTS;
export type EventName = keyof Events;
export type EventData<E extends EventName> = z.output<Events[E]["data"]>;

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(METHODS, name);
}

export { ApprovalCode } from "./approvals.js";
export { ChatChunk, ChatNotice, ChatResult, ConversationSummary, NOTICE_KEYS, TOOL_STEP_STATUSES } from "./chat.js";
export { DEFAULT_FILE_MAX_BYTES, FILE_PIECE_BYTES, FILE_PIECE_MAX_BYTES, FilePiece, PlacedFile, UploadId } from "./files.js";
export { DECIDERS, EVERYONE, OWNERS, type EventSpec, type MethodSpec } from "./define.js";
export { NotificationBody, PushSubscription } from "./notifications.js";
export {
  PasskeyAssertion,
  PasskeyCreationOptions,
  PasskeyPurpose,
  PasskeyRegistration,
  PasskeyRequestOptions,
  PasskeyRow,
  PASSKEY_TRANSPORTS,
} from "./passkeys.js";
export { AlwaysRequest, MAX_RULE_DAYS, Rule, RuleScope, RuleScopeRequest } from "./rules.js";
export { CATCH_UP_POLICIES, CatchUp, RUN_STATES, Schedule, SCHEDULE_ACTIONS, ScheduleAction, ScheduleRun, SCHEDULE_STATES } from "./schedules.js";
export { LockdownStatus } from "./lockdown.js";
export { FINAL_TASK_STATES, Task, TASK_STATES, TaskState } from "./tasks.js";
export { ToolCallResult } from "./tools.js";
export * from "./schemas.js";
