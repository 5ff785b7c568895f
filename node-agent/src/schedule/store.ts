/**
 * Schedules and their runs in SQLite (schema.ts). Claiming a run is the one step that decides an
 * occurrence happens: a guarded transaction inserts the run and moves the schedule past that due time,
 * so a second claim of the same occurrence (another tick, a restart, a clock that went back) finds
 * nothing to claim.
 */
import type { Requester, Schedule, ScheduleRun } from "@ora/protocol";
import type Database from "better-sqlite3";
import { newId } from "../safety/ids.js";
import type { RequesterColumns } from "../safety/requester.js";
import { nextOccurrence, type When } from "./when.js";

export interface ScheduleRow extends RequesterColumns {
  id: string;
  action: Schedule["action"];
  text: string;
  kind: Schedule["kind"];
  cron: string | null;
  time_zone: string;
  words: string;
  catch_up: Schedule["catchUp"];
  state: Schedule["state"];
  next_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface RunRow {
  id: string;
  schedule: string;
  due_at: number;
  started_at: number;
  finished_at: number | null;
  state: ScheduleRun["state"];
  late_ms: number;
  notified_by: ScheduleRun["notifiedBy"];
  detail: string | null;
}

export interface NewSchedule {
  requester: Requester;
  action: Schedule["action"];
  text: string;
  when: When;
  timeZone: string;
  catchUp: Schedule["catchUp"];
}

export class ScheduleStore {
  constructor(
    readonly db: Database.Database,
    private readonly now: () => number,
  ) {}

  create(input: NewSchedule): ScheduleRow {
    const id = `s${newId()}`;
    const now = this.now();
    const { requester, when } = input;
    const next = when.kind === "once" ? when.at! : nextOccurrence(when.cron!, input.timeZone, now);
    this.db
      .prepare(
        `INSERT INTO schedules (id, action, text, kind, cron, time_zone, words, catch_up, state, next_at,
           req_device, req_role, req_user, req_via, req_session, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.action,
        input.text,
        when.kind,
        when.cron ?? null,
        input.timeZone,
        when.words,
        input.catchUp,
        next,
        requester.device,
        requester.role,
        requester.user,
        requester.via,
        requester.session ?? null,
        now,
        now,
      );
    return this.get(id)!;
  }

  get(id: string): ScheduleRow | undefined {
    return this.db.prepare<[string], ScheduleRow>("SELECT * FROM schedules WHERE id = ?").get(id);
  }

  /** A user's schedules (every user's with null): active ones by next run, then finished ones, newest first. */
  list(user: string | null, finished: boolean): ScheduleRow[] {
    return this.db
      .prepare<[string | null, string | null, number], ScheduleRow>(
        `SELECT * FROM schedules WHERE (? IS NULL OR req_user = ?) AND (? = 1 OR state = 'active')
         ORDER BY state = 'active' DESC, CASE WHEN state = 'active' THEN next_at END ASC, updated_at DESC LIMIT 500`,
      )
      .all(user, user, finished ? 1 : 0);
  }

  runs(user: string | null, limit: number): (RunRow & Pick<ScheduleRow, "action" | "text">)[] {
    return this.db
      .prepare<[string | null, string | null, number], RunRow & Pick<ScheduleRow, "action" | "text">>(
        `SELECT r.*, s.action, s.text FROM schedule_runs r JOIN schedules s ON s.id = r.schedule
         WHERE (? IS NULL OR s.req_user = ?) ORDER BY r.started_at DESC, r.due_at DESC LIMIT ?`,
      )
      .all(user, user, limit);
  }

  run(id: string): (RunRow & Pick<ScheduleRow, "action" | "text">) | undefined {
    return this.db
      .prepare<[string], RunRow & Pick<ScheduleRow, "action" | "text">>(
        "SELECT r.*, s.action, s.text FROM schedule_runs r JOIN schedules s ON s.id = r.schedule WHERE r.id = ?",
      )
      .get(id);
  }

  activeCount(user: string): number {
    return this.db.prepare<[string], { n: number }>("SELECT count(*) AS n FROM schedules WHERE req_user = ? AND state = 'active'").get(user)!.n;
  }

  /** Cancels an active schedule; undefined when it was not active. */
  cancel(id: string): ScheduleRow | undefined {
    const changed = this.db
      .prepare("UPDATE schedules SET state = 'cancelled', next_at = NULL, updated_at = ? WHERE id = ? AND state = 'active'")
      .run(this.now(), id);
    return changed.changes === 1 ? this.get(id) : undefined;
  }

  /** Active schedules due at `now` or before, the oldest due first. */
  due(now: number): ScheduleRow[] {
    return this.db.prepare<[number], ScheduleRow>("SELECT * FROM schedules WHERE state = 'active' AND next_at <= ? ORDER BY next_at").all(now);
  }

  /** The soonest due time of any active schedule. */
  nextDue(): number | null {
    return this.db.prepare<[], { at: number | null }>("SELECT min(next_at) AS at FROM schedules WHERE state = 'active'").get()!.at;
  }

  /**
   * Claims the occurrence due at `row.next_at` and moves the schedule on: a one-time schedule is done;
   * a recurring one goes to its first occurrence after `now` (missed ones in between are not run: never
   * a burst). Undefined when someone else claimed it first.
   */
  claim(row: ScheduleRow, now: number): RunRow | undefined {
    const due = row.next_at;
    if (due === null) return undefined;
    const next = row.kind === "once" || row.cron === null ? null : nextOccurrence(row.cron, row.time_zone, Math.max(now, due));
    const id = `${row.id}@${due}`;
    return this.db.transaction(() => {
      const moved = this.db
        .prepare("UPDATE schedules SET next_at = ?, state = ?, updated_at = ? WHERE id = ? AND state = 'active' AND next_at = ?")
        .run(next, next === null ? "done" : "active", now, row.id, due);
      if (moved.changes !== 1) return undefined;
      const inserted = this.db
        .prepare("INSERT OR IGNORE INTO schedule_runs (id, schedule, due_at, started_at, state, late_ms) VALUES (?, ?, ?, ?, 'started', ?)")
        .run(id, row.id, due, now, Math.max(0, now - due));
      if (inserted.changes !== 1) throw new Error(`run ${id} exists already`);
      return this.db.prepare<[string], RunRow>("SELECT * FROM schedule_runs WHERE id = ?").get(id);
    })();
  }

  finish(run: string, state: Exclude<RunRow["state"], "started">, notifiedBy: RunRow["notified_by"], detail: string | null): void {
    this.db
      .prepare("UPDATE schedule_runs SET state = ?, notified_by = ?, detail = ?, finished_at = ? WHERE id = ? AND state = 'started'")
      .run(state, notifiedBy, detail === null ? null : detail.slice(0, 2000), this.now(), run);
  }

  /** Runs that were under way when the agent stopped: they are not run again. */
  interruptStarted(): RunRow[] {
    const rows = this.db.prepare<[], RunRow>("SELECT * FROM schedule_runs WHERE state = 'started'").all();
    this.db
      .prepare(
        "UPDATE schedule_runs SET state = 'interrupted', finished_at = ?, detail = 'the agent stopped while this ran; it is not run again' WHERE state = 'started'",
      )
      .run(this.now());
    return rows;
  }

  /** The Reminders conversation of a user, once made. */
  inbox(user: string): string | undefined {
    return this.db.prepare<[string], { conversation: string }>("SELECT conversation FROM schedule_inbox WHERE user = ?").get(user)?.conversation;
  }

  setInbox(user: string, conversation: string): void {
    this.db
      .prepare("INSERT INTO schedule_inbox (user, conversation) VALUES (?, ?) ON CONFLICT (user) DO UPDATE SET conversation = excluded.conversation")
      .run(user, conversation);
  }
}

export function scheduleView(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    action: row.action,
    text: row.text,
    kind: row.kind,
    cron: row.cron,
    timeZone: row.time_zone,
    when: row.words,
    catchUp: row.catch_up,
    state: row.state,
    user: row.req_user,
    nextAt: row.next_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function runView(row: RunRow & Pick<ScheduleRow, "action" | "text">): ScheduleRun {
  return {
    id: row.id,
    schedule: row.schedule,
    action: row.action,
    text: row.text,
    dueAt: row.due_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    state: row.state,
    lateMs: row.late_ms,
    notifiedBy: row.notified_by,
    detail: row.detail,
  };
}
