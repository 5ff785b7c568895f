/**
 * Web Push notifications, encrypted on this PC (RFC 8291) and forwarded by the relay without being
 * read. start.ts passes NOTIFY_MIGRATIONS to createSafety and starts it all with startNotifications.
 */
import type { NodeAccess } from "../device-admin.js";
import type { HandlerRegistry } from "../handlers.js";
import type { Logger } from "../log.js";
import type { Safety } from "../safety/index.js";
import type { PairedDevices } from "../secure/paired-devices.js";
import { notifyOnEvents } from "./events.js";
import { registerNotificationMethods } from "./methods.js";
import { Notifier } from "./notifier.js";
import { PushSubscriptions } from "./subscriptions.js";

export { NOTIFY_MIGRATIONS } from "./schema.js";
export { Notifier, type NotifyOutcome } from "./notifier.js";
export { PushSubscriptions } from "./subscriptions.js";
export { sealNotification } from "./seal.js";
export { topicOf } from "./events.js";

export interface Notifications {
  readonly notifier: Notifier;
  readonly subscriptions: PushSubscriptions;
  /** Stops notifying and waits for what is under way (call before the database closes). */
  close(): Promise<void>;
}

/**
 * Registers the notifications.* methods and notifies on approvals and tasks. Call it before
 * `safety.tasks.recover()`, so that tasks which end as the agent starts are notified too.
 */
export function startNotifications(options: {
  node: NodeAccess;
  safety: Safety;
  handlers: HandlerRegistry;
  paired: PairedDevices;
  log: Logger;
}): Notifications {
  const { node, safety, handlers, paired, log } = options;
  const subscriptions = new PushSubscriptions(safety.db);
  const notifier = new Notifier(node, subscriptions, log);
  registerNotificationMethods(handlers, node, subscriptions, log);
  const stop = notifyOnEvents(safety, paired, notifier, log);
  return {
    notifier,
    subscriptions,
    async close() {
      stop();
      await notifier.drain();
    },
  };
}
