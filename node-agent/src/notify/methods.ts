/**
 * notifications.subscribe / unsubscribe / status: a device hands this PC its push subscription over
 * the sealed session. The PC keeps it (keys included) and tells the relay only the endpoint URL, for
 * that device; an endpoint the relay will not send to is refused here, before anything is kept.
 */
import type { Requester } from "@ora/protocol";
import type { NodeAccess } from "../device-admin.js";
import { UserError } from "../errors.js";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import type { Logger } from "../log.js";
import { deletePushEndpoint, RelayHttpError, setPushEndpoint } from "../relay/api.js";
import type { PushSubscriptions } from "./subscriptions.js";

export function registerNotificationMethods(registry: HandlerRegistry, node: NodeAccess, subscriptions: PushSubscriptions, log: Logger): void {
  registry
    .register("notifications.subscribe", async (subscription, { requester }) => {
      const device = relayDevice(requester);
      try {
        await setPushEndpoint(node.relay, node.credential, device, subscription.endpoint);
      } catch (error) {
        if (error instanceof RelayHttpError && error.code === "forbidden") {
          throw new HandlerError("bad_params", `this push service cannot be used: ${error.message}`);
        }
        if (error instanceof UserError) throw new HandlerError("failed", `notifications could not be turned on: ${error.message}`);
        throw error;
      }
      subscriptions.set(device, subscription);
      return { enabled: true as const };
    })
    .register("notifications.unsubscribe", async (_params, { requester }) => {
      const device = relayDevice(requester);
      // Forgetting the keys here is what turns notifications off: nothing can be encrypted to them now.
      subscriptions.remove(device);
      try {
        await deletePushEndpoint(node.relay, node.credential, device);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        log.warn("the relay keeps this device's push endpoint for now", { device, reason: error.message });
      }
      return { enabled: false as const };
    })
    .register("notifications.status", (_params, { requester }) => ({
      enabled: requester.via === "relay" && subscriptions.get(requester.device) !== undefined,
    }));
}

function relayDevice(requester: Requester): string {
  if (requester.via !== "relay") throw new HandlerError("bad_params", "notifications are for devices paired through the relay, not for this PC's command line");
  return requester.device;
}
