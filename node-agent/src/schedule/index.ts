/**
 * Reminders and scheduled jobs: schedules in the profile database (store.ts), the clock that runs
 * them (scheduler.ts), what a run does (carrier.ts), deposits at the relay for a PC that sleeps
 * (deposits.ts), tools and methods. start.ts passes SCHEDULE_MIGRATIONS to createSafety and calls
 * startSchedules once the connector exists.
 */
import type { Requester } from "@ora/protocol";
import type { NodeAccess } from "../device-admin.js";
import type { HandlerRegistry } from "../handlers.js";
import type { ChatProvider } from "../llm/types.js";
import type { Logger } from "../log.js";
import type { Notifier, PushSubscriptions } from "../notify/index.js";
import { requesterFromColumns, userOf } from "../safety/requester.js";
import type { Safety } from "../safety/index.js";
import type { ConversationStore } from "../secretary/loop.js";
import type { PairedDevices } from "../secure/paired-devices.js";
import { scheduleCarrier } from "./carrier.js";
import { ReminderDeposits } from "./deposits.js";
import { registerScheduleMethods } from "./methods.js";
import { type ScheduleChange, Scheduler } from "./scheduler.js";
import { ScheduleService } from "./service.js";
import { type ScheduleRow, ScheduleStore } from "./store.js";
import { scheduleTools } from "./tools.js";
import { isTimeZone } from "./when.js";
import { UserError } from "../errors.js";

export { SCHEDULE_MIGRATIONS } from "./schema.js";
export { ScheduleService } from "./service.js";
export { formatLocal, readReminder, readWhen } from "./when.js";

/** The zone reminder times are read in: ORA_TIME_ZONE when it names one, else this PC's. */
export function userTimeZone(env: NodeJS.ProcessEnv): string {
  const named = env.ORA_TIME_ZONE?.trim();
  if (named) {
    if (isTimeZone(named)) return named;
    throw new UserError(`ORA_TIME_ZONE="${named}" is not an IANA time zone (examples: Asia/Tokyo, Europe/Paris, UTC)`);
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** How often every reminder's deposit is checked (one coming within the relay's horizon is deposited). */
const DEPOSIT_SYNC_MS = 3_600_000;

export interface Schedules {
  service: ScheduleService;
  close(): Promise<void>;
}

export function startSchedules(options: {
  node: NodeAccess;
  safety: Safety;
  handlers: HandlerRegistry;
  paired: PairedDevices;
  subscriptions: PushSubscriptions;
  notifier: Notifier;
  memory: ConversationStore;
  secretary?: { provider: ChatProvider } | undefined;
  /** Sealed pushes to the user's open sessions. */
  push(
    user: string,
    event:
      | { type: "conversation"; conversation: string; message: { role: "assistant"; content: string; at: number } }
      | ({ type: "schedule" } & ScheduleChange),
  ): void;
  timeZone: string;
  log: Logger;
}): Schedules {
  const { node, safety, handlers, paired, log } = options;
  const store = new ScheduleStore(safety.db, Date.now);
  const devicesOf = (user: string) =>
    paired
      .list()
      .filter((d) => userOf(d.id, d.role) === user)
      .map((d) => d.id);
  // Lockdown pauses schedules: nothing is claimed and the relay holds no reminder until it ends.
  const paused = () => safety.lockdown.active();
  const deposits = new ReminderDeposits(store, node, options.subscriptions, devicesOf, log, Date.now, undefined, paused);
  const carrier = scheduleCarrier({
    store,
    deposits,
    notifier: options.notifier,
    memory: options.memory,
    devicesOf,
    currentRequester: (row) => currentRequester(row, paired),
    tell: (user, conversation, message) => options.push(user, { type: "conversation", conversation, message }),
    ...(options.secretary ? { secretary: { provider: options.secretary.provider, safety } } : {}),
    log,
  });
  const scheduler = new Scheduler(store, carrier, log, undefined, undefined, paused);
  const service = new ScheduleService(store, scheduler, options.timeZone, Date.now, undefined, (id) => void deposits.sync(id));
  for (const tool of scheduleTools(service)) safety.register(tool);
  registerScheduleMethods(handlers, safety, service);
  const offChanges = scheduler.onChange((change) => {
    options.push(change.schedule.user, { type: "schedule", ...change });
    const { run } = change;
    // The audit trail holds each run's start and end (its id and outcome; never the text).
    if (run) safety.audit.record({ event: "schedule.run", who: requesterFromColumns(store.get(change.schedule.id)!), status: run.state, detail: run.id });
  });
  const syncAll = () => {
    for (const row of store.list(null, false)) void deposits.sync(row.id);
  };
  // A device that turns notifications on (or off) changes who each deposit is sealed for.
  const offSubscriptions = options.subscriptions.onChange(syncAll);
  const offLockdown = safety.lockdown.onChange(() => {
    scheduler.poke();
    syncAll();
  });
  const timer = setInterval(syncAll, DEPOSIT_SYNC_MS);
  timer.unref();
  scheduler.start();
  syncAll();
  return {
    service,
    async close() {
      clearInterval(timer);
      offSubscriptions();
      offLockdown();
      offChanges();
      await scheduler.stop();
    },
  };
}

const RANK: Record<Requester["role"], number> = { guest: 0, "sub-admin": 1, owner: 2 };

/**
 * Who a schedule runs as now: the PC's own user, or the device that made it with the role it has
 * today (a device demoted since runs with less; one unpaired since does not run).
 */
function currentRequester(row: ScheduleRow, paired: PairedDevices): Requester | string {
  if (row.req_via === "local") return { device: row.req_device, role: row.req_role, user: row.req_user, via: "local" };
  const device = paired.get(row.req_device);
  if (!device) return "the device that scheduled it is no longer paired";
  const role = RANK[device.role] < RANK[row.req_role] ? device.role : row.req_role;
  if (userOf(device.id, role) !== row.req_user) return "the device that scheduled it has another role now";
  return { device: device.id, role, user: row.req_user, via: "relay" };
}
