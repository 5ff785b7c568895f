/**
 * Reminder deposit routes (protocol/src/relay-http.ts): the agent, with its Node credential, leaves a
 * sealed notification to be sent at a due time, and withdraws it. The work happens in the Node's
 * object (deposits.ts); these routes only check and translate.
 */
import { DepositId, RELAY_HTTP as API } from "@ora/protocol";
import type { Hono } from "hono";
import { asOwner } from "../admission.js";
import { vapidSubject } from "../env.js";
import { answerResult, httpError, validBody, type RelayEnv } from "../http.js";

const BAD_ID = "a deposit id is 8 to 64 characters of A-Z a-z 0-9 _ -";

export function registerDepositRoutes(app: Hono<RelayEnv>): void {
  app.put(API.setDeposit.path, asOwner, validBody(API.setDeposit), async (c) => {
    const id = c.req.param("id");
    if (!DepositId.safeParse(id).success) httpError(400, "bad_request", BAD_ID);
    const { stub, hash } = c.var.owner;
    // Chosen now, as for a push sent at once: the deposit is sent later, by the alarm, with no request at hand.
    const subject = vapidSubject(c.env, new URL(c.req.url).origin);
    return answerResult(c, API.setDeposit, await stub.deposit(hash, { op: "set", id, deposit: c.req.valid("json"), subject }));
  });

  app.delete(API.withdrawDeposit.path, asOwner, async (c) => {
    const id = c.req.param("id");
    if (!DepositId.safeParse(id).success) httpError(400, "bad_request", BAD_ID);
    const { stub, hash } = c.var.owner;
    return answerResult(c, API.withdrawDeposit, await stub.deposit(hash, { op: "withdraw", id }));
  });
}
