/** Each device's push subscription, as the device handed it over (notifications.subscribe). */
import type { PushSubscription } from "@ora/protocol";
import type Database from "better-sqlite3";

interface Row {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export class PushSubscriptions {
  private readonly listeners = new Set<(device: string) => void>();

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {}

  /** Told of every device whose subscription was set or removed (reminder deposits follow it). */
  onChange(listener: (device: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

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
    this.changed(device);
  }

  /** True when the device had one. `endpoint`: only if it is still that one (a newer subscription stays). */
  remove(device: string, endpoint?: string): boolean {
    const result =
      endpoint === undefined
        ? this.db.prepare("DELETE FROM notify_subscriptions WHERE device = ?").run(device)
        : this.db.prepare("DELETE FROM notify_subscriptions WHERE device = ? AND endpoint = ?").run(device, endpoint);
    if (result.changes > 0) this.changed(device);
    return result.changes > 0;
  }

  private changed(device: string): void {
    for (const listener of this.listeners) listener(device);
  }
}
