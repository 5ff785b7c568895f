/**
 * Lockdown routes (protocol/src/relay-http.ts): the agent, with its Node credential, puts its Node in
 * lockdown or lifts it. The work happens in the Node's object (lockdown.ts); these routes only check
 * and translate.
 */
import { RELAY_HTTP as API } from "@ora/protocol";
import type { Hono } from "hono";
import { asOwner, unwrap } from "../admission.js";
import { answerChecked, validBody, type RelayEnv } from "../http.js";

export function registerLockdownRoutes(app: Hono<RelayEnv>): void {
  app.put(API.setLockdown.path, asOwner, validBody(API.setLockdown), async (c) => {
    const { stub, hash } = c.var.owner;
    const { keepDevice } = c.req.valid("json");
    return answerChecked(c, API.setLockdown, unwrap(await stub.lockdownCall(hash, { op: "set", keepDevice })));
  });

  app.delete(API.clearLockdown.path, asOwner, async (c) => {
    const { stub, hash } = c.var.owner;
    return answerChecked(c, API.clearLockdown, unwrap(await stub.lockdownCall(hash, { op: "clear" })));
  });
}
