/**
 * Schedules in the profile database. A run's id is `<schedule>@<due ms>` and its (schedule, due_at)
 * pair is unique: claiming a run is one transaction that inserts it and moves the schedule past it,
 * so an occurrence runs at most once, whatever crashes or clock jumps happen around it.
 */
import type { ModuleMigrations } from "../safety/db.js";

export const SCHEDULE_MIGRATIONS: ModuleMigrations = {
  module: "schedule",
  steps: [
    {
      version: 1,
      name: "schedules, their runs, deposits at the relay, each user's Reminders conversation",
      up: `
        CREATE TABLE schedules (
          id TEXT PRIMARY KEY,
          action TEXT NOT NULL CHECK (action IN ('reminder', 'job')),
          text TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('once', 'recurring')),
          cron TEXT,
          time_zone TEXT NOT NULL,
          words TEXT NOT NULL,
          catch_up TEXT NOT NULL CHECK (catch_up IN ('late', 'skip')),
          state TEXT NOT NULL CHECK (state IN ('active', 'done', 'cancelled')),
          next_at INTEGER,
          req_device TEXT NOT NULL, req_role TEXT NOT NULL, req_user TEXT NOT NULL, req_via TEXT NOT NULL, req_session TEXT,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX schedules_due ON schedules (state, next_at);
        CREATE INDEX schedules_by_user ON schedules (req_user, state);
        CREATE TABLE schedule_runs (
          id TEXT PRIMARY KEY,
          schedule TEXT NOT NULL REFERENCES schedules (id),
          due_at INTEGER NOT NULL,
          started_at INTEGER NOT NULL,
          finished_at INTEGER,
          state TEXT NOT NULL CHECK (state IN ('started', 'delivered', 'skipped', 'failed', 'interrupted')),
          late_ms INTEGER NOT NULL,
          notified_by TEXT CHECK (notified_by IN ('agent', 'relay')),
          detail TEXT,
          UNIQUE (schedule, due_at)
        ) STRICT;
        CREATE INDEX schedule_runs_recent ON schedule_runs (started_at);
        CREATE TABLE schedule_deposits (
          schedule TEXT PRIMARY KEY REFERENCES schedules (id),
          deposit TEXT NOT NULL UNIQUE,
          due_at INTEGER NOT NULL,
          devices TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('held', 'withdrawn', 'sent')),
          sent_at INTEGER,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE schedule_inbox (user TEXT PRIMARY KEY, conversation TEXT NOT NULL) STRICT;
      `,
    },
  ],
};
