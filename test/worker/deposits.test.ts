/**
 * Reminder deposits inside workerd, with Web Push on (the "worker-push" project in vitest.config.ts:
 * a VAPID key, and at most 3 deposits per Node). The routes through SELF; the alarm path fired with
 * runDurableObjectAlarm, with a recording push service in place of the object's network; and the
 * rules (deposits/deposits.ts) by plain calls over the object's real SQLite, with a staged clock and
 * a staged push gateway.
 */
import { DEPOSIT_MAX_AHEAD_MS, DepositBody, ErrorBody, fromBase64Url, RELAY_HTTP, toBase64Url, type DepositBodyInput, type PushSent } from "@ora/protocol";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Deposits, DUE_GRACE_MS, MAX_TRIES, TOMBSTONE_MS, type DepositDeps } from "../../worker/src/deposits/deposits.js";
import { DepositStore } from "../../worker/src/deposits/store.js";
import type { PushResult } from "../../worker/src/push/gateway.js";
import { internals, metrics, mintDevice, nodeSql, registerNode, type Node } from "./relay.js";

const HOUR = 3_600_000;
const FCM = "https://fcm.googleapis.com/fcm/send/";
const SUBJECT = "mailto:operator@example.test";

/** A deposit with one message per device, each a distinct made-up ciphertext (the relay never reads it). */
function deposit(dueAt: number, ...devices: string[]): DepositBodyInput {
  return {
    dueAt,
    messages: devices.map((device, i) => ({ device, payload: toBase64Url(new Uint8Array(64).fill(i + 1)), ttl: 3600, urgency: "high", topic: "reminder" })),
  };
}

function put(node: Node, id: string, body: unknown, credential: string | null = node.credential): Promise<Response> {
  const headers: Record<string, string> = credential === null ? {} : { Authorization: `Bearer ${credential}` };
  return SELF.fetch(`http://relay/v1/node/deposits/${id}`, { method: "PUT", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

function withdraw(node: Node, id: string, credential: string | null = node.credential): Promise<Response> {
  const headers: Record<string, string> = credential === null ? {} : { Authorization: `Bearer ${credential}` };
  return SELF.fetch(`http://relay/v1/node/deposits/${id}`, { method: "DELETE", headers });
}

async function refusal(response: Promise<Response>): Promise<{ status: number } & ErrorBody> {
  const res = await response;
  return { status: res.status, ...ErrorBody.parse(await res.json()) };
}

async function json(response: Promise<Response>): Promise<unknown> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text);
}

/** A device of `node` whose push endpoint the relay holds (at FCM, which the recording service stands for). */
async function subscribedDevice(node: Node, name: string): Promise<string> {
  const device = await mintDevice(node, name);
  const res = await SELF.fetch(`http://relay/v1/node/devices/${device.id}/push`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${node.credential}` },
    body: JSON.stringify({ endpoint: FCM + name }),
  });
  expect(res.status).toBe(200);
  return device.id;
}

interface PushRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Puts a push service that records every request and answers 201 in place of the Node object's network. */
async function pushService(node: Node): Promise<PushRequest[]> {
  const requests: PushRequest[] = [];
  await internals(node, (inner) => {
    inner.pushes.deps.fetch = async (url, init) => {
      requests.push({ url, headers: init.headers as Record<string, string>, body: new Uint8Array(init.body as Uint8Array) });
      return new Response(null, { status: 201 });
    };
  });
  return requests;
}

/** Makes a held deposit due now, as if its time had come. */
async function makeDue(node: Node, id: string): Promise<void> {
  await nodeSql(node, "UPDATE deposits SET due_at = ? WHERE id = ?", Date.now() - 1000, id);
}

describe("the deposit routes", () => {
  it("refuse a missing or wrong credential with 401 before reading the body", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const body = deposit(Date.now() + HOUR, "dev-a");
    for (const credential of [null, device.credential, "ora_node_made-up"]) {
      expect(await refusal(put(node, "reminder-1", body, credential))).toMatchObject({ status: 401, code: "unauthorized" });
      expect(await refusal(put(node, "reminder-1", "{not json", credential))).toMatchObject({ status: 401, code: "unauthorized" });
      expect(await refusal(withdraw(node, "reminder-1", credential))).toMatchObject({ status: 401, code: "unauthorized" });
    }
    expect((await metrics(node)).deposits).toEqual({ held: 0 });
  });

  it("refuse bodies and ids that do not fit with 400 bad_request", async () => {
    const node = await registerNode();
    const dueAt = Date.now() + HOUR;
    const good = deposit(dueAt, "dev-a");
    const message = good.messages[0]!;
    for (const body of [
      "{not json",
      { dueAt },
      { dueAt, messages: [] },
      deposit(dueAt, ...Array.from({ length: 11 }, (_, i) => `dev-${i}`)),
      { dueAt, messages: [{ ...message, device: "not a device id" }] },
      { dueAt, messages: [{ ...message, payload: "a+b/" }] },
      { dueAt, messages: [{ ...message, ttl: -1 }] },
      { dueAt: "tomorrow", messages: [message] },
    ]) {
      expect(await refusal(put(node, "reminder-1", body)), JSON.stringify(body)).toEqual({
        status: 400,
        code: "bad_request",
        message: RELAY_HTTP.setDeposit.invalid,
      });
    }
    // Past the schema, the object's own checks.
    expect(await refusal(put(node, "reminder-1", { dueAt, messages: [{ ...message, payload: "AB" }] }))).toMatchObject({ status: 400, code: "bad_request" });
    expect(await refusal(put(node, "reminder-1", { dueAt, messages: [message, message] }))).toMatchObject({ status: 400, message: "one message per device" });
    for (const id of ["short", "has space 123", "x".repeat(65)]) {
      expect(await refusal(put(node, encodeURIComponent(id), good))).toMatchObject({ status: 400, code: "bad_request" });
      expect(await refusal(withdraw(node, encodeURIComponent(id)))).toMatchObject({ status: 400, code: "bad_request" });
    }
    expect((await metrics(node)).deposits).toEqual({ held: 0, refused: 2 });
  });

  it("refuse a due time more than a minute past, or further ahead than 28 days", async () => {
    const node = await registerNode();
    const past = await refusal(put(node, "reminder-1", deposit(Date.now() - 2 * 60_000, "dev-a")));
    expect(past).toEqual({ status: 400, code: "bad_request", message: "dueAt is in the past" });
    const far = await refusal(put(node, "reminder-1", deposit(Date.now() + DEPOSIT_MAX_AHEAD_MS + 60_000, "dev-a")));
    expect(far).toEqual({ status: 400, code: "bad_request", message: "dueAt is more than 28 days ahead" });
    const dueAt = Date.now() + DEPOSIT_MAX_AHEAD_MS - 60_000;
    expect(await json(put(node, "reminder-1", deposit(dueAt, "dev-a")))).toEqual({ dueAt });
  });

  it("take ten messages of 4096 bytes, past the small-body limit", async () => {
    const node = await registerNode();
    const dueAt = Date.now() + HOUR;
    const messages = Array.from({ length: 10 }, (_, i) => ({ device: `dev-${i}`, payload: toBase64Url(new Uint8Array(4096)), ttl: 60 }));
    expect(await json(put(node, "reminder-1", { dueAt, messages }))).toEqual({ dueAt });
    expect(await nodeSql(node, "SELECT bytes FROM deposits")).toEqual([{ bytes: 40_960 }]);
  });

  it("replace a deposit that has the same id", async () => {
    const node = await registerNode();
    const first = Date.now() + HOUR;
    expect(await json(put(node, "reminder-1", deposit(first, "dev-a")))).toEqual({ dueAt: first });
    expect(await json(put(node, "reminder-1", deposit(first + HOUR, "dev-a", "dev-b")))).toEqual({ dueAt: first + HOUR });
    expect(await nodeSql(node, "SELECT id, due_at, bytes FROM deposits")).toEqual([{ id: "reminder-1", due_at: first + HOUR, bytes: 128 }]);
    expect((await metrics(node)).deposits).toEqual({ held: 1 });
  });

  it("refuse a deposit past the Node's cap with 429 pending_limit, yet replace a held one", async () => {
    const node = await registerNode();
    const dueAt = Date.now() + HOUR;
    for (const id of ["reminder-1", "reminder-2", "reminder-3"]) await json(put(node, id, deposit(dueAt, "dev-a")));
    const full = await refusal(put(node, "reminder-4", deposit(dueAt, "dev-a")));
    expect(full).toMatchObject({ status: 429, code: "pending_limit" });
    expect(full.message).toMatch(/holds 3 deposits/);
    expect(await json(put(node, "reminder-2", deposit(dueAt + 1, "dev-a")))).toEqual({ dueAt: dueAt + 1 });
    expect(await json(withdraw(node, "reminder-3"))).toEqual({ state: "withdrawn" });
    expect(await json(put(node, "reminder-4", deposit(dueAt, "dev-a")))).toEqual({ dueAt });
    expect((await metrics(node)).deposits).toEqual({ held: 3, refused: 1, withdrawn: 1 });
  });

  it("answer withdrawn once, then unknown, and unknown for an id never deposited", async () => {
    const node = await registerNode();
    await json(put(node, "reminder-1", deposit(Date.now() + HOUR, "dev-a")));
    expect(await json(withdraw(node, "reminder-1"))).toEqual({ state: "withdrawn" });
    expect(await json(withdraw(node, "reminder-1"))).toEqual({ state: "unknown" });
    expect(await json(withdraw(node, "never-deposited"))).toEqual({ state: "unknown" });
    expect((await metrics(node)).deposits).toEqual({ held: 0, withdrawn: 1 });
  });
});

describe("the alarm", () => {
  it("sends a due deposit to each device's push service, once, and then tells a withdrawal it was sent", async () => {
    const node = await registerNode();
    const alice = await subscribedDevice(node, "alice-phone");
    const bob = await subscribedDevice(node, "bob-laptop");
    const requests = await pushService(node);
    const body = deposit(Date.now() + HOUR, alice, bob);
    const later = Date.now() + 2 * HOUR;
    await json(put(node, "reminder-1", body));
    await json(put(node, "reminder-2", deposit(later, alice)));
    await makeDue(node, "reminder-1");

    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    expect(requests.map((r) => r.url).sort()).toEqual([`${FCM}alice-phone`, `${FCM}bob-laptop`]);
    for (const message of body.messages) {
      const request = requests.find((r) => r.url.endsWith(message.device === alice ? "alice-phone" : "bob-laptop"))!;
      expect(request.body).toEqual(fromBase64Url(message.payload));
      expect(request.headers).toMatchObject({ TTL: "3600", Urgency: "high", Topic: "reminder", "Content-Encoding": "aes128gcm" });
      const claims = JSON.parse(atob(request.headers.Authorization!.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")));
      expect(claims).toMatchObject({ aud: "https://fcm.googleapis.com", sub: SUBJECT });
    }

    const withdrawn = (await json(withdraw(node, "reminder-1"))) as { state: string; sentAt: number };
    expect(withdrawn).toEqual({ state: "sent", sentAt: expect.any(Number) });
    expect(withdrawn.sentAt).toBeLessThanOrEqual(Date.now());
    expect(await refusal(put(node, "reminder-1", deposit(Date.now() + HOUR, alice)))).toMatchObject({ status: 409, code: "id_in_use" });
    // The alarm is armed for the next deposit, and firing it sends nothing again.
    expect(await internals(node, (_inner, state) => state.storage.getAlarm())).toBe(later);
    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    expect(requests).toHaveLength(2);
    expect(await metrics(node)).toMatchObject({ deposits: { held: 1, sent: 1, refused: 1 }, push: { sent: 2 } });
  });

  it("sends nothing for a deposit withdrawn before the alarm", async () => {
    const node = await registerNode();
    const alice = await subscribedDevice(node, "alice-phone");
    const requests = await pushService(node);
    await json(put(node, "reminder-1", deposit(Date.now() + HOUR, alice)));
    await makeDue(node, "reminder-1");
    expect(await json(withdraw(node, "reminder-1"))).toEqual({ state: "withdrawn" });

    expect(await runDurableObjectAlarm(node.stub)).toBe(true);
    expect(requests).toEqual([]);
    expect(await json(withdraw(node, "reminder-1"))).toEqual({ state: "unknown" });
  });

  it("is armed again from storage when the object wakes up without it", async () => {
    const node = await registerNode();
    const dueAt = Date.now() + HOUR;
    await json(put(node, "reminder-1", deposit(dueAt, "dev-a")));
    await internals(node, (inner, state) => {
      Object.assign(inner, { evictionMark: true });
      return state.storage.deleteAlarm();
    });
    await evictDurableObject(node.stub);
    expect(await internals(node, async (inner, state) => ["evictionMark" in inner, await state.storage.getAlarm()])).toEqual([false, dueAt]);
  });
});

describe("the deposit rules", () => {
  const SENT: PushResult<PushSent> = { ok: true, value: { outcome: "sent" } };
  const HELD_BACK: PushResult<PushSent> = { ok: false, status: 429, code: "rate_limited", message: "too many", retryAfterSec: 30 };
  const NO_ENDPOINT: PushResult<PushSent> = { ok: false, status: 404, code: "not_found", message: "no endpoint" };

  interface Staged {
    deposits: Deposits;
    clock: { now: number };
    sends: string[];
    wakes: number[];
    sql: SqlStorage;
  }

  /** Runs `test` in the Node's object, with deposits over its storage, a staged clock and a gateway answering `answer(n)` to the n-th send. */
  function inDeposits<R>(node: Node, answer: (n: number) => PushResult<PushSent> | Promise<PushResult<PushSent>>, test: (s: Staged) => Promise<R>): Promise<R> {
    return runInDurableObject(node.stub, (_instance, state) => {
      const clock = { now: Date.parse("2026-12-01T09:00:00Z") };
      const sends: string[] = [];
      const wakes: number[] = [];
      const deps: DepositDeps = {
        now: () => clock.now,
        send: async (device) => {
          sends.push(device);
          return answer(sends.length);
        },
        wakeBy: (at) => wakes.push(at),
      };
      const deposits = new Deposits(new DepositStore(state.storage.sql), { perNode: 3, pushOn: true }, deps);
      return test({ deposits, clock, sends, wakes, sql: state.storage.sql });
    });
  }
  const body = (dueAt: number, ...devices: string[]) => DepositBody.parse(deposit(dueAt, ...devices));

  it("takes a due time up to a minute past, and arms the alarm for it", async () => {
    const node = await registerNode();
    await inDeposits(
      node,
      () => SENT,
      async ({ deposits, clock, wakes }) => {
        const dueAt = clock.now - DUE_GRACE_MS;
        expect(deposits.set("reminder-1", body(dueAt - 1, "dev-a"), SUBJECT)).toMatchObject({ ok: false, status: 400 });
        expect(deposits.set("reminder-1", body(dueAt, "dev-a"), SUBJECT)).toEqual({ ok: true, value: { dueAt } });
        expect(wakes).toEqual([dueAt]);
      },
    );
  });

  it("answers sent to a withdrawal that comes while the push is in flight, and sends the deposit once", async () => {
    const node = await registerNode();
    let release!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      release = resolve;
    });
    await inDeposits(
      node,
      () => inFlight.then(() => SENT),
      async ({ deposits, clock, sends }) => {
        const sentAt = clock.now;
        deposits.set("reminder-1", body(clock.now, "dev-a"), SUBJECT);
        const alarm = deposits.onAlarm();
        expect(sends).toEqual(["dev-a"]);
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "sent", sentAt } });
        release();
        await alarm;
        clock.now += HOUR;
        await deposits.onAlarm();
        expect(sends).toEqual(["dev-a"]);
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "sent", sentAt } });
        expect(deposits.counters()).toEqual({ held: 0, sent: 1 });
      },
    );
  });

  it("sends again, when the rate limit says, only the messages it held back; the deposit counts as sent once", async () => {
    const node = await registerNode();
    await inDeposits(
      node,
      (n) => (n === 2 ? HELD_BACK : SENT),
      async ({ deposits, clock, sends, wakes }) => {
        const sentAt = clock.now;
        deposits.set("reminder-1", body(clock.now, "dev-a", "dev-b"), SUBJECT);
        await deposits.onAlarm();
        expect(sends).toEqual(["dev-a", "dev-b"]);
        expect(wakes.at(-1)).toBe(sentAt + 30_000);
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "sent", sentAt } });
        await deposits.onAlarm();
        expect(sends).toHaveLength(2);
        clock.now += 30_000;
        await deposits.onAlarm();
        expect(sends).toEqual(["dev-a", "dev-b", "dev-b"]);
        expect(deposits.counters()).toEqual({ held: 0, sent: 1, retried: 1 });
      },
    );
  });

  it("gives up after three attempts held back, and then answers a withdrawal withdrawn", async () => {
    const node = await registerNode();
    await inDeposits(
      node,
      () => HELD_BACK,
      async ({ deposits, clock, sends }) => {
        deposits.set("reminder-1", body(clock.now, "dev-a"), SUBJECT);
        for (let attempt = 0; attempt < MAX_TRIES + 2; attempt++) {
          await deposits.onAlarm();
          clock.now += 30_000;
        }
        expect(sends).toHaveLength(MAX_TRIES);
        expect(deposits.counters()).toEqual({ held: 0, retried: MAX_TRIES - 1, failed: 1 });
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "withdrawn" } });
      },
    );
  });

  it("counts a deposit whose every message failed as failed, without trying again", async () => {
    const node = await registerNode();
    await inDeposits(
      node,
      () => NO_ENDPOINT,
      async ({ deposits, clock, sends }) => {
        deposits.set("reminder-1", body(clock.now, "dev-a"), SUBJECT);
        await deposits.onAlarm();
        clock.now += HOUR;
        await deposits.onAlarm();
        expect(sends).toEqual(["dev-a"]);
        expect(deposits.counters()).toEqual({ held: 0, failed: 1 });
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "withdrawn" } });
      },
    );
  });

  it("refuses the id of a sent deposit for 7 days, then forgets it", async () => {
    const node = await registerNode();
    await inDeposits(
      node,
      () => SENT,
      async ({ deposits, clock, sql }) => {
        const sentAt = clock.now;
        deposits.set("reminder-1", body(clock.now, "dev-a"), SUBJECT);
        await deposits.onAlarm();
        clock.now += TOMBSTONE_MS - 1;
        expect(deposits.set("reminder-1", body(clock.now + HOUR, "dev-a"), SUBJECT)).toMatchObject({ ok: false, status: 409, code: "id_in_use" });
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "sent", sentAt } });
        clock.now += 1;
        expect(deposits.withdraw("reminder-1")).toEqual({ ok: true, value: { state: "unknown" } });
        expect(sql.exec("SELECT * FROM deposit_tombstones").toArray()).toEqual([]);
        expect(deposits.set("reminder-1", body(clock.now + HOUR, "dev-a"), SUBJECT)).toMatchObject({ ok: true });
      },
    );
  });
});
