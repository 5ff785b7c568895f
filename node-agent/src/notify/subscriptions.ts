/** Each device's push subscription, as the device handed it over (notifications.subscribe). */
import type { PushSubscription } from "@ora/protocol";
import type Database from "better-sqlite3";

interface Row {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export class PushSubscriptions {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {}

  get(device: string): PushSubscription | undefined {
    const row = this.db.prepare<[string], Row>("SELECT endpoint, p256dh, auth FROM notify_subscriptions WHERE device = ?").get(device);
    return row && { endpoint: row.endpoint, keys: { p256dh: row.p256dh, auth: row.auth } };
  }

  set(device: string, subscription: PushSubscription): void {
    const now = this.now();
    this.db
      .prepare(
        `INSERT INTO notify_subscriptions (device, endpoint, p256dh, auth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (device) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth, updated_at = excluded.updated_at`,
      )
      .run(device, subscription.endpoint, subscription.keys.p256dh, subscription.keys.auth, now, now);
  }

  /** True when the device had one. `endpoint`: only if it is still that one (a newer subscription stays). */
  remove(device: string, endpoint?: string): boolean {
    const result =
      endpoint === undefined
        ? this.db.prepare("DELETE FROM notify_subscriptions WHERE device = ?").run(device)
        : this.db.prepare("DELETE FROM notify_subscriptions WHERE device = ? AND endpoint = ?").run(device, endpoint);
    return result.changes > 0;
  }
}
