/**
 * Sends one notification to one device: its subscription from this PC's database, the body sealed
 * here (seal.ts), the ciphertext handed to the relay with the Node credential. Best effort: a failure
 * is logged (never with the text) and never reaches the caller. A subscription the push service says
 * is gone is forgotten; a push service that asks to slow down is left alone until it said.
 */
import { toBase64Url, type NotificationBody, type PushMessageBody } from "@ora/protocol";
import type { NodeAccess } from "../device-admin.js";
import type { Logger } from "../log.js";
import { RelayHttpError, sendPush } from "../relay/api.js";
import { sealNotification } from "./seal.js";
import type { PushSubscriptions } from "./subscriptions.js";

export type NotifyOutcome = "sent" | "gone" | "skipped" | "failed";
export type Delivery = Pick<PushMessageBody, "ttl" | "urgency" | "topic">;

export class Notifier {
  private quietUntil = 0;
  private readonly inFlight = new Set<Promise<NotifyOutcome>>();

  constructor(
    private readonly node: NodeAccess,
    private readonly subscriptions: PushSubscriptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Never rejects. `skipped`: the device has no subscription, or the push service asked us to wait. */
  notify(device: string, body: NotificationBody, delivery: Delivery): Promise<NotifyOutcome> {
    const done = this.send(device, body, delivery).catch((error: unknown) => {
      this.log.warn("notification not sent", { device, reason: error instanceof Error ? error.name : "error" });
      return "failed" as const;
    });
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
  }

  /** Resolves once every notification under way has settled (before the database closes). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async send(device: string, body: NotificationBody, delivery: Delivery): Promise<NotifyOutcome> {
    const subscription = this.subscriptions.get(device);
    if (!subscription) return "skipped";
    if (this.now() < this.quietUntil) {
      this.log.debug("notification skipped: the push service asked to wait", { device });
      return "skipped";
    }
    const payload = toBase64Url(await sealNotification(subscription, body));
    try {
      const { outcome } = await sendPush(this.node.relay, this.node.credential, device, { payload, ...delivery });
      if (outcome === "gone") {
        this.subscriptions.remove(device, subscription.endpoint);
        this.log.info("push subscription gone; notifications are off for this device until it subscribes again", { device });
      }
      return outcome;
    } catch (error) {
      if (!(error instanceof RelayHttpError)) throw error;
      if (error.status === 429) this.quietUntil = this.now() + (error.retryAfterSec ?? 60) * 1000;
      if (error.status === 404) {
        // The relay knows no endpoint for it (the device was revoked, or the relay's VAPID key, which
        // the subscription was made for, is gone): nothing sent to it can arrive until it subscribes again.
        this.subscriptions.remove(device, subscription.endpoint);
        this.log.info("the relay has no push endpoint for this device; notifications are off until it subscribes again", { device });
        return "gone";
      }
      // The relay's refusals carry no notification content: they are safe to log.
      this.log.warn("notification not sent", { device, reason: error.message });
      return "failed";
    }
  }
}
