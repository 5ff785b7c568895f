/**
 * What happens when a schedule's time comes. A reminder: its text as a notification on the user's
 * devices (unless the relay already put it there from a deposit while this PC slept), a message in
 * the user's "Reminders" conversation, and a sealed push to their open sessions. A job: the secretary
 * runs its prompt in that conversation as the user who scheduled it, with that user's role as it is
 * now (never more: a HIGH tool waits for an approval as a task, like any chat), and the answer is
 * delivered like a reminder.
 */
import type { NotificationBody, Requester } from "@ora/protocol";
import type { Logger } from "../log.js";
import { MemoryError } from "../memory/types.js";
import { type Notifier, topicOf } from "../notify/index.js";
import type { Safety } from "../safety/index.js";
import { excerpt } from "../secretary/prompt.js";
import { runTurn, type ConversationStore } from "../secretary/loop.js";
import type { ChatProvider } from "../llm/types.js";
import type { ReminderDeposits } from "./deposits.js";
import type { Carrier, DueRun, RunOutcome } from "./scheduler.js";
import { requesterOf, type ScheduleRow, type ScheduleStore } from "./store.js";
import { formatLocal } from "./when.js";

/** How long one scheduled job may run. */
const JOB_TIMEOUT_MS = 5 * 60_000;
const INBOX_TITLE = "Reminders";

export interface CarrierDeps {
  store: ScheduleStore;
  deposits: ReminderDeposits;
  notifier: Notifier | undefined;
  memory: ConversationStore;
  /** The user's paired devices now (ids), and the role each has. */
  devicesOf(user: string): string[];
  /** The requester a schedule runs as now, or a reason it cannot run (its device is no longer paired). */
  currentRequester(schedule: ScheduleRow): Requester | string;
  /** Pushes a message of the Reminders conversation to the user's open sessions. */
  tell(user: string, conversation: string, message: { role: "assistant"; content: string; at: number }): void;
  secretary?: { provider: ChatProvider; safety: Safety };
  log: Logger;
  now?: () => number;
}

export function scheduleCarrier(deps: CarrierDeps): Carrier {
  const now = deps.now ?? Date.now;
  return {
    soon(rows) {
      for (const row of rows) if (row.next_at !== null) void deps.deposits.withdraw(row.id, row.next_at);
    },

    async reminder(due) {
      const { schedule, run } = due;
      const withdrawal = await deps.deposits.withdraw(schedule.id, run.due_at);
      void deps.deposits.sync(schedule.id);
      let outcome: RunOutcome;
      let line = `⏰ ${schedule.text}`;
      if (withdrawal.relaySent) {
        const at = formatLocal(withdrawal.sentAt, schedule.time_zone);
        outcome = { state: "delivered", notifiedBy: "relay", detail: `notified by the relay at ${at} while this PC was asleep or off` };
        line += `\n(this PC was asleep or off at ${formatLocal(run.due_at, schedule.time_zone)}; the relay notified your devices at ${at})`;
      } else if (due.skip) {
        outcome = { state: "skipped", notifiedBy: null, detail: `skipped: ${due.lateText} (this PC was off or asleep)` };
        line = `Skipped reminder, ${due.lateText} (this PC was off or asleep): ${schedule.text}`;
      } else {
        const body: NotificationBody = {
          title: due.lateText ? "Reminder (late)" : "Reminder",
          body: excerpt(due.lateText ? `${schedule.text} (${due.lateText})` : schedule.text, 400),
          url: "/#reminders",
          tag: run.id,
        };
        const sent = await notify(schedule.req_user, body, run.id);
        outcome = { state: "delivered", notifiedBy: sent > 0 ? "agent" : null, detail: due.lateText };
        if (due.lateText) line += `\n(${due.lateText}; this PC was off or asleep then)`;
      }
      inbox(schedule.req_user, line);
      return outcome;
    },

    async job(due) {
      const { schedule, run } = due;
      if (due.skip) {
        inbox(schedule.req_user, `Skipped scheduled job, ${due.lateText} (this PC was off or asleep): ${schedule.text}`);
        return { state: "skipped", notifiedBy: null, detail: `skipped: ${due.lateText}` };
      }
      const requester = deps.currentRequester(schedule);
      const failed = async (why: string): Promise<RunOutcome> => {
        const text = `Scheduled job could not run (${why}): ${schedule.text}`;
        inbox(schedule.req_user, text);
        const sent = await notify(schedule.req_user, { title: "Scheduled job failed", body: excerpt(text, 400), url: "/#reminders", tag: run.id }, run.id);
        return { state: "failed", notifiedBy: sent > 0 ? "agent" : null, detail: why };
      };
      if (typeof requester === "string") return failed(requester);
      if (!deps.secretary) return failed("no language model is configured on this PC");
      const conversation = inboxConversation(schedule.req_user);
      const prompt = `Scheduled job (${schedule.words}${due.lateText ? `; ${due.lateText}` : ""}), asked for by the user earlier. Do it now: ${schedule.text}`;
      try {
        const turn = await runTurn(
          { text: prompt, conversation, notice: true },
          { requester, who: `scheduled job ${schedule.id}`, signal: AbortSignal.timeout(JOB_TIMEOUT_MS), emit: () => undefined },
          { ...deps.secretary, memory: deps.memory },
        );
        deps.tell(schedule.req_user, conversation, { role: "assistant", content: turn.text, at: now() });
        const sent = await notify(schedule.req_user, { title: "Scheduled job done", body: excerpt(turn.text || schedule.text, 400), url: "/#reminders", tag: run.id }, run.id);
        return { state: "delivered", notifiedBy: sent > 0 ? "agent" : null, detail: excerpt(turn.text, 500) || null };
      } catch (error) {
        deps.log.warn("a scheduled job failed", { run: run.id, error: error instanceof Error ? error.name : "error" });
        return failed(error instanceof Error && error.name === "TimeoutError" ? "it took longer than 5 minutes" : "the secretary could not finish it");
      }
    },
  } satisfies Carrier;

  async function notify(user: string, body: NotificationBody, runId: string): Promise<number> {
    if (!deps.notifier) return 0;
    const outcomes = await Promise.all(
      deps.devicesOf(user).map((device) => deps.notifier!.notify(device, body, { ttl: 12 * 3600, urgency: "high", topic: topicOf(runId) })),
    );
    return outcomes.filter((o) => o === "sent").length;
  }

  /** The user's Reminders conversation, made on first use (and again if the user forgot it). */
  function inboxConversation(user: string, fresh = false): string {
    const known = fresh ? undefined : deps.store.inbox(user);
    if (known) return known;
    const conversation = deps.memory.startConversation(user, INBOX_TITLE);
    deps.store.setInbox(user, conversation);
    return conversation;
  }

  function inbox(user: string, content: string): void {
    let conversation = inboxConversation(user);
    try {
      deps.memory.append(user, conversation, { role: "assistant", content });
    } catch (error) {
      if (!(error instanceof MemoryError)) throw error;
      // Forgotten, or full: a new Reminders conversation takes over.
      conversation = inboxConversation(user, true);
      deps.memory.append(user, conversation, { role: "assistant", content });
    }
    deps.tell(user, conversation, { role: "assistant", content, at: now() });
  }
}

export { requesterOf };
