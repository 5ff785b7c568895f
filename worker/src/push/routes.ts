/**
 * Web Push routes (protocol/src/relay-http.ts): the web client reads the relay's VAPID public key;
 * the agent, with its Node credential, registers a device's endpoint and hands over ciphertext for it.
 * The work happens in the Node's object (gateway.ts); these routes only check and translate.
 */
import { RELAY_HTTP as API } from "@ora/protocol";
import type { Hono } from "hono";
import { asOwner } from "../admission.js";
import { vapidKeys, vapidSubject } from "../env.js";
import { answer, answerResult, httpError, validBody, type RelayEnv } from "../http.js";

export function registerPushRoutes(app: Hono<RelayEnv>): void {
  app.get(API.vapidKey.path, (c) => {
    const vapid = vapidKeys(c.env);
    if (!vapid) httpError(404, "not_found", "this relay sends no notifications: it has no VAPID key");
    return answer(c, API.vapidKey, { publicKey: vapid.publicKey });
  });

  app.put(API.setPushEndpoint.path, asOwner, validBody(API.setPushEndpoint), async (c) => {
    const { stub, hash } = c.var.owner;
    const { endpoint } = c.req.valid("json");
    return answerResult(c, API.setPushEndpoint, await stub.push(hash, { op: "set", device: c.req.param("id"), endpoint }));
  });

  app.delete(API.deletePushEndpoint.path, asOwner, async (c) => {
    const { stub, hash } = c.var.owner;
    return answerResult(c, API.deletePushEndpoint, await stub.push(hash, { op: "delete", device: c.req.param("id") }));
  });

  app.post(API.sendPush.path, asOwner, validBody(API.sendPush), async (c) => {
    const { stub, hash } = c.var.owner;
    const subject = vapidSubject(c.env, new URL(c.req.url).origin);
    return answerResult(c, API.sendPush, await stub.push(hash, { op: "send", device: c.req.param("id"), message: c.req.valid("json"), subject }));
  });
}
