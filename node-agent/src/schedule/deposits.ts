/**
 * Reminder deposits: so that a reminder reaches the phone while this PC sleeps, its notification is
 * sealed here for each of the user's devices (the same Web Push encryption as every notification)
 * and left at the relay with its due time. The relay sends it at that time unless the agent takes it
 * back first: the agent withdraws a deposit shortly before it falls due and delivers the reminder
 * itself; the withdrawal's answer says when the relay already sent it (the PC was asleep), and the
 * agent then does not notify a second time. The relay learns a due time, a size and device ids.
 *
 * One deposit per reminder at a time: the next occurrence, while it is within the relay's horizon.
 */
import { DEPOSIT_MAX_AHEAD_MS, DEPOSIT_MAX_DEVICES, type NotificationBody, toBase64Url } from "@ora/protocol";
import { randomBytes } from "node:crypto";
import type { NodeAccess } from "../device-admin.js";
import type { Logger } from "../log.js";
import { type PushSubscriptions, sealNotification, topicOf } from "../notify/index.js";
import { setDeposit, withdrawDeposit } from "../relay/api.js";
import type { ScheduleRow, ScheduleStore } from "./store.js";

/** How long a push service keeps a deposited reminder for a phone that is off (seconds). */
const DEPOSIT_TTL_SEC = 12 * 3600;

interface DepositRow {
  schedule: string;
  deposit: string;
  due_at: number;
  devices: string;
  state: "held" | "withdrawn" | "sent";
  sent_at: number | null;
}

export type Withdrawal = { relaySent: true; sentAt: number } | { relaySent: false };

export class ReminderDeposits {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: ScheduleStore,
    private readonly node: NodeAccess,
    private readonly subscriptions: PushSubscriptions,
    /** The user's devices that may be notified (paired now). */
    private readonly devicesOf: (user: string) => string[],
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** A reminder due sooner than this is left to the agent (it withdraws deposits this long before). */
    private readonly leadMs = 15_000,
    /** True while schedules are paused: the relay holds no reminder then. */
    private readonly paused: () => boolean = () => false,
  ) {}

  /** Makes the relay hold exactly the notification of the schedule's next occurrence, or nothing. */
  sync(scheduleId: string): Promise<void> {
    return this.serial(scheduleId, () => this.syncNow(scheduleId));
  }

  /** At its due time: takes the deposit of that occurrence back, and says whether the relay already sent it. */
  withdraw(scheduleId: string, dueAt: number): Promise<Withdrawal> {
    return this.serial(scheduleId, async () => {
      const held = this.row(scheduleId);
      if (!held || held.due_at !== dueAt) return { relaySent: false };
      if (held.state === "sent") return { relaySent: true, sentAt: held.sent_at ?? dueAt };
      if (held.state === "held") await this.take(held);
      const after = this.row(scheduleId);
      return after?.state === "sent" ? { relaySent: true, sentAt: after.sent_at ?? dueAt } : { relaySent: false };
    });
  }

  private async syncNow(scheduleId: string): Promise<void> {
    const schedule = this.store.get(scheduleId);
    const held = this.row(scheduleId);
    const wanted = schedule ? this.wanted(schedule) : undefined;
    if (held?.state === "held" && (!wanted || held.due_at !== wanted.dueAt || held.devices !== wanted.devices.join(","))) await this.take(held);
    if (!wanted || !schedule) return;
    const current = this.row(scheduleId);
    if (current && current.due_at === wanted.dueAt && current.state === "held") return;
    await this.put(schedule, wanted.dueAt, wanted.devices);
  }

  private wanted(schedule: ScheduleRow): { dueAt: number; devices: string[] } | undefined {
    const now = this.now();
    const dueAt = schedule.next_at;
    if (schedule.state !== "active" || schedule.action !== "reminder" || dueAt === null || this.paused()) return undefined;
    // Too soon: the agent is awake now and delivers it itself. Too far: the relay would refuse it (the
    // agent deposits it later, when it is within reach).
    if (dueAt - now <= this.leadMs || dueAt - now > DEPOSIT_MAX_AHEAD_MS - 3_600_000) return undefined;
    const devices = this.devicesOf(schedule.req_user)
      .filter((device) => this.subscriptions.get(device) !== undefined)
      .sort()
      .slice(0, DEPOSIT_MAX_DEVICES);
    return devices.length > 0 ? { dueAt, devices } : undefined;
  }

  private async put(schedule: ScheduleRow, dueAt: number, devices: string[]): Promise<void> {
    const deposit = randomBytes(16).toString("base64url");
    const runId = `${schedule.id}@${dueAt}`;
    const body: NotificationBody = { title: "Reminder", body: schedule.text.slice(0, 400), url: "/#reminders", tag: runId };
    const messages = [];
    for (const device of devices) {
      const subscription = this.subscriptions.get(device);
      if (!subscription) continue;
      const payload = toBase64Url(await sealNotification(subscription, body));
      messages.push({ device, payload, ttl: DEPOSIT_TTL_SEC, urgency: "high" as const, topic: topicOf(runId) });
    }
    if (messages.length === 0) return;
    try {
      await setDeposit(this.node.relay, this.node.credential, deposit, { dueAt, messages });
    } catch (error) {
      // The reminder still runs on this PC; only the delivery while it sleeps is missing.
      this.log.warn("the relay did not take a reminder's deposit", { schedule: schedule.id, reason: error instanceof Error ? error.message : "error" });
      return;
    }
    this.store.db
      .prepare(
        `INSERT INTO schedule_deposits (schedule, deposit, due_at, devices, state, updated_at) VALUES (?, ?, ?, ?, 'held', ?)
         ON CONFLICT (schedule) DO UPDATE SET deposit = excluded.deposit, due_at = excluded.due_at, devices = excluded.devices,
           state = 'held', sent_at = NULL, updated_at = excluded.updated_at`,
      )
      .run(schedule.id, deposit, dueAt, messages.map((m) => m.device).join(","), this.now());
  }

  /** Withdraws a held deposit and records what the relay answered. */
  private async take(held: DepositRow): Promise<void> {
    try {
      const answer = await withdrawDeposit(this.node.relay, this.node.credential, held.deposit);
      const state = answer.state === "sent" ? "sent" : "withdrawn";
      this.store.db
        .prepare("UPDATE schedule_deposits SET state = ?, sent_at = ?, updated_at = ? WHERE schedule = ? AND deposit = ?")
        .run(state, answer.state === "sent" ? (answer.sentAt ?? held.due_at) : null, this.now(), held.schedule, held.deposit);
    } catch (error) {
      // Unreachable: the relay may still send it at its due time. The row stays `held`, and the next
      // sync or withdrawal tries again.
      this.log.warn("a reminder's deposit could not be withdrawn", { schedule: held.schedule, reason: error instanceof Error ? error.message : "error" });
    }
  }

  private row(scheduleId: string): DepositRow | undefined {
    return this.store.db.prepare<[string], DepositRow>("SELECT * FROM schedule_deposits WHERE schedule = ?").get(scheduleId);
  }

  /** One step at a time per schedule: a sync and a withdrawal never interleave. */
  private serial<T>(scheduleId: string, step: () => Promise<T>): Promise<T> {
    const next = (this.chains.get(scheduleId) ?? Promise.resolve()).then(step, step);
    const settled = next.catch(() => undefined);
    this.chains.set(scheduleId, settled);
    void settled.then(() => this.chains.get(scheduleId) === settled && this.chains.delete(scheduleId));
    return next;
  }
}
