/**
 * Push subscriptions in the profile database: one per device, with the keys the PC encrypts every
 * notification to (RFC 8291). The relay only ever learns the endpoint URL.
 */
import type { ModuleMigrations } from "../safety/db.js";

export const NOTIFY_MIGRATIONS: ModuleMigrations = {
  module: "notify",
  steps: [
    {
      version: 1,
      name: "push subscriptions per device",
      up: `
        CREATE TABLE notify_subscriptions (
          device TEXT PRIMARY KEY,
          endpoint TEXT NOT NULL,
          p256dh TEXT NOT NULL,
          auth TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        ) STRICT;
      `,
    },
  ],
};
