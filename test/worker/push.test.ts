/**
 * Web Push inside workerd: the allowlist of push services, what each answer of a push service means
 * (deliver.ts, with the network as a function so every answer can be staged), and the Node object's
 * gateway over its real SQLite storage. End to end with a real push protocol exchange:
 * test/e2e/notifications.test.ts.
 */
import { toBase64Url, type Device } from "@ora/protocol";
import { runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../worker/src/node/audit.js";
import { pushTarget } from "../../worker/src/push/allowlist.js";
import { deliver, type DeliverDeps, type Vapid } from "../../worker/src/push/deliver.js";
import { PushGateway } from "../../worker/src/push/gateway.js";
import { PushStore } from "../../worker/src/push/store.js";
import { mintDevice, registerNode, type Node } from "./relay.js";

async function vapidKeys(): Promise<Vapid> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const publicKey = toBase64Url(new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer));
  const { d } = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  return { publicKey, privateKey: d!, subject: "mailto:operator@example.test" };
}

/** A push service that answers from a script, and the requests it saw; waits are recorded, not slept. */
function staged(...answers: (Response | Error)[]) {
  const requests: { url: string; init: RequestInit }[] = [];
  const waits: number[] = [];
  const deps: DeliverDeps = {
    fetch: async (url, init) => {
      requests.push({ url, init });
      const next = answers.shift() ?? new Response(null, { status: 201 });
      if (next instanceof Error) throw next;
      return next;
    },
    sleep: async (ms) => {
      waits.push(ms);
    },
    now: () => Date.parse("2026-12-01T00:00:00Z"),
  };
  return { deps, requests, waits };
}

const FCM = "https://fcm.googleapis.com/fcm/send/abc:def";
const target = pushTarget(FCM, false);
if (!target.ok) throw new Error("FCM must be allowed");
const push = { body: new Uint8Array(100), ttl: 60, urgency: "high" as const, topic: "t1" };

describe("the push-service allowlist", () => {
  it("sends to the push services of the browsers ORA supports, over https on the default port", () => {
    for (const endpoint of [
      FCM,
      "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
      "https://web.push.apple.com/QGuQyavXutnMH",
      "https://wns2-by3p.notify.windows.com/w/?token=BQYAAAB",
      "https://fcm.googleapis.com:443/fcm/send/x",
    ]) {
      expect(pushTarget(endpoint, false), endpoint).toMatchObject({ ok: true });
    }
  });

  it("refuses everything else: other hosts, look-alikes, http, other ports, user info, loopback unless allowed", () => {
    for (const endpoint of [
      "https://evil.example/push",
      "https://fcm.googleapis.com.evil.example/x",
      "https://evilfcm.googleapis.com/x",
      "https://push.apple.com.evil.example/x",
      "https://evilpush.apple.com/x",
      "https://notify.windows.com/x",
      "http://fcm.googleapis.com/fcm/send/x",
      "https://fcm.googleapis.com:8443/fcm/send/x",
      "https://user:pw@fcm.googleapis.com/fcm/send/x",
      "http://127.0.0.1:9999/push",
      "http://localhost:9999/push",
      "http://169.254.169.254/latest/meta-data",
      "not a url",
    ]) {
      expect(pushTarget(endpoint, false), endpoint).toMatchObject({ ok: false });
    }
  });

  it("allows http://127.0.0.1:<port> only with the loopback setting, signed as its https twin", () => {
    expect(pushTarget("http://127.0.0.1:9999/push/a", true)).toEqual({
      ok: true,
      url: "http://127.0.0.1:9999/push/a",
      origin: "http://127.0.0.1:9999",
      signedAs: "https://127.0.0.1:9999/push/a",
    });
    for (const endpoint of ["http://127.0.0.2:9999/push", "http://127.0.0.1/push", "http://localhost:9999/push"]) {
      expect(pushTarget(endpoint, true), endpoint).toMatchObject({ ok: false });
    }
  });
});

describe("one delivery", () => {
  it("posts ciphertext with a VAPID signature, TTL, Urgency and Topic, and no redirects", async () => {
    const vapid = await vapidKeys();
    const { deps, requests } = staged();
    expect(await deliver(target, push, vapid, deps)).toEqual({ outcome: "sent", attempts: 1 });
    const [request] = requests;
    expect(request!.url).toBe(FCM);
    expect(request!.init).toMatchObject({ method: "POST", redirect: "manual", body: push.body });
    const headers = request!.init.headers as Record<string, string>;
    expect(headers).toMatchObject({ TTL: "60", Urgency: "high", Topic: "t1", "Content-Encoding": "aes128gcm" });
    expect(headers.Authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`));
    const claims = JSON.parse(atob(headers.Authorization!.split(".")[1]!.replaceAll("-", "+").replaceAll("_", "/")));
    expect(claims).toMatchObject({ aud: "https://fcm.googleapis.com", sub: vapid.subject });
  });

  it("reads 404 and 410 as a subscription gone for good, without retrying", async () => {
    const vapid = await vapidKeys();
    for (const status of [404, 410]) {
      const { deps, requests } = staged(new Response(null, { status }));
      expect(await deliver(target, push, vapid, deps)).toEqual({ outcome: "gone", status, attempts: 1 });
      expect(requests).toHaveLength(1);
    }
  });

  it("reads 413 as too large, without retrying", async () => {
    const { deps } = staged(new Response(null, { status: 413 }));
    expect(await deliver(target, push, await vapidKeys(), deps)).toEqual({ outcome: "too_large", attempts: 1 });
  });

  it("waits out a short Retry-After on 429 and tries again", async () => {
    const { deps, waits } = staged(new Response(null, { status: 429, headers: { "Retry-After": "1" } }));
    expect(await deliver(target, push, await vapidKeys(), deps)).toEqual({ outcome: "sent", attempts: 2 });
    expect(waits).toEqual([1000]);
  });

  it("hands a long Retry-After (seconds or a date) back instead of waiting, and gives up after the last attempt", async () => {
    const vapid = await vapidKeys();
    const long = staged(new Response(null, { status: 429, headers: { "Retry-After": "120" } }));
    expect(await deliver(target, push, vapid, long.deps)).toEqual({ outcome: "throttled", retryAfterSec: 120, attempts: 1 });
    expect(long.waits).toEqual([]);
    const date = staged(new Response(null, { status: 429, headers: { "Retry-After": "Tue, 01 Dec 2026 00:05:00 GMT" } }));
    expect(await deliver(target, push, vapid, date.deps)).toMatchObject({ outcome: "throttled", retryAfterSec: 300 });
    const busy = () => new Response(null, { status: 429, headers: { "Retry-After": "0" } });
    const always = staged(busy(), busy(), busy());
    expect(await deliver(target, push, vapid, always.deps)).toMatchObject({ outcome: "throttled", attempts: 3 });
  });

  it("retries a failing or unreachable push service a bounded number of times, with backoff", async () => {
    const vapid = await vapidKeys();
    const down = staged(new Response(null, { status: 503 }), new Response(null, { status: 502 }), new Response(null, { status: 500 }));
    expect(await deliver(target, push, vapid, down.deps)).toEqual({ outcome: "failed", status: 500, attempts: 3 });
    expect(down.waits).toEqual([250, 500]);
    const flaky = staged(new TypeError("network"), new Response(null, { status: 201 }));
    expect(await deliver(target, push, vapid, flaky.deps)).toEqual({ outcome: "sent", attempts: 2 });
    const unreachable = staged(new TypeError("network"), new TypeError("network"), new TypeError("network"));
    expect(await deliver(target, push, vapid, unreachable.deps)).toEqual({ outcome: "failed", status: null, attempts: 3 });
  });

  it("does not follow a redirect, and does not retry other refusals", async () => {
    const vapid = await vapidKeys();
    for (const status of [301, 400, 403]) {
      const { deps, requests } = staged(new Response(null, { status, headers: status === 301 ? { Location: "http://169.254.169.254/" } : {} }));
      expect(await deliver(target, push, vapid, deps)).toEqual({ outcome: "failed", status, attempts: 1 });
      expect(requests).toHaveLength(1);
    }
  });
});

describe("the Node object's push gateway", () => {
  type Staged = ReturnType<typeof staged>;
  /** Runs `test` inside the Node's object, with a gateway over its storage and a staged push service. */
  async function inGateway<R>(
    node: Node,
    answers: Response[],
    test: (gw: PushGateway, sql: SqlStorage, requests: Staged["requests"]) => Promise<R>,
    perMinute = 60,
  ): Promise<R> {
    const vapid = await vapidKeys();
    const { deps, requests } = staged(...answers);
    return runInDurableObject(node.stub, (_instance, state) => {
      const sql = state.storage.sql;
      const devices = {
        list: (): Device[] =>
          sql
            .exec<{ id: string }>("SELECT id FROM devices")
            .toArray()
            .map(({ id }) => ({ id, name: "", role: "owner", createdAt: 0, expiresAt: null, revokedAt: null, lastSeen: null })),
      };
      const gw = new PushGateway(new PushStore(sql), devices, new AuditLog(sql), { vapid, allowLoopback: false, perMinute }, deps);
      return test(gw, sql, requests);
    });
  }
  const message = { payload: toBase64Url(new Uint8Array(4096)), ttl: 60, urgency: "normal" as const };
  const subject = "mailto:operator@example.test";

  it("refuses and counts an endpoint that is not a push service, and keeps an allowed one", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    await inGateway(node, [], async (gw) => {
      expect(gw.set(device.id, "https://evil.example/push")).toMatchObject({ ok: false, status: 403, code: "forbidden" });
      expect(gw.set("no-such-device", FCM)).toMatchObject({ ok: false, status: 404 });
      expect(gw.set(device.id, FCM)).toEqual({ ok: true, value: { origin: "https://fcm.googleapis.com" } });
      expect(gw.counters()).toEqual({ refused_origin: 1 });
    });
  });

  it("forgets an endpoint the push service says is gone, and answers gone", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    await inGateway(node, [new Response(null, { status: 410 })], async (gw, sql, requests) => {
      gw.set(device.id, FCM);
      expect(await gw.send(device.id, message, subject)).toEqual({ ok: true, value: { outcome: "gone" } });
      expect(sql.exec("SELECT * FROM push_endpoints").toArray()).toEqual([]);
      const kinds = sql.exec<{ kind: string }>("SELECT kind FROM audit WHERE kind LIKE 'push_%' ORDER BY seq").toArray();
      expect(kinds.map((r) => r.kind)).toEqual(["push_subscribed", "push_gone"]);
      expect(await gw.send(device.id, message, subject)).toMatchObject({ ok: false, status: 404 });
      expect(requests).toHaveLength(1);
      expect(gw.counters()).toEqual({ gone: 1 });
    });
  });

  it("limits sends per Node per minute, and passes a push service's 413 and 429 on", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const answers = [new Response(null, { status: 413 }), new Response(null, { status: 429, headers: { "Retry-After": "90" } })];
    await inGateway(
      node,
      answers,
      async (gw) => {
        gw.set(device.id, FCM);
        expect(await gw.send(device.id, message, subject)).toMatchObject({ ok: false, status: 413, code: "too_large" });
        expect(await gw.send(device.id, message, subject)).toMatchObject({ ok: false, status: 429, code: "rate_limited", retryAfterSec: 90 });
        expect(await gw.send(device.id, message, subject)).toEqual({ ok: true, value: { outcome: "sent" } });
        expect(await gw.send(device.id, message, subject)).toMatchObject({ ok: false, status: 429, code: "rate_limited", retryAfterSec: 60 });
        expect(gw.counters()).toEqual({ rate_limited: 1, sent: 1, throttled: 1, too_large: 1 });
      },
      3,
    );
  });

  it("refuses a payload over 4096 bytes before anything is sent", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    await inGateway(node, [], async (gw, _sql, requests) => {
      gw.set(device.id, FCM);
      expect(await gw.send(device.id, { ...message, payload: toBase64Url(new Uint8Array(4097)) }, subject)).toMatchObject({ ok: false, status: 413 });
      expect(requests).toEqual([]);
    });
  });
});

describe("the push routes", () => {
  it("answer 404 not_found for the VAPID key, and refuse endpoints, when the relay has no VAPID key", async () => {
    const res = await SELF.fetch("http://relay/v1/push/vapid-key");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: "not_found" });
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const set = await SELF.fetch(`http://relay/v1/node/devices/${device.id}/push`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${node.credential}` },
      body: JSON.stringify({ endpoint: FCM }),
    });
    expect(set.status).toBe(404);
  });

  it("refuse deposits with 404 not_found when the relay has no VAPID key, and still answer withdrawals", async () => {
    const node = await registerNode();
    const auth = { Authorization: `Bearer ${node.credential}` };
    const body = JSON.stringify({ dueAt: Date.now() + 3_600_000, messages: [{ device: "dev-a", payload: toBase64Url(new Uint8Array(64)), ttl: 60 }] });
    const set = await SELF.fetch("http://relay/v1/node/deposits/reminder-1", { method: "PUT", headers: auth, body });
    expect(set.status).toBe(404);
    expect(await set.json()).toMatchObject({ code: "not_found" });
    const withdrawn = await SELF.fetch("http://relay/v1/node/deposits/reminder-1", { method: "DELETE", headers: auth });
    expect(await withdrawn.json()).toEqual({ state: "unknown" });
  });

  it("take a push message of 4096 bytes past the small-body limit, and check the credential first", async () => {
    const node = await registerNode();
    const device = await mintDevice(node, "alice-phone");
    const body = JSON.stringify({ payload: toBase64Url(new Uint8Array(4096)), ttl: 60 });
    const url = `http://relay/v1/node/devices/${device.id}/push/messages`;
    expect((await SELF.fetch(url, { method: "POST", body })).status).toBe(401);
    // Past the body limit and the schema, the object answers: this relay has no VAPID key.
    const res = await SELF.fetch(url, { method: "POST", headers: { Authorization: `Bearer ${node.credential}` }, body });
    expect(res.status).toBe(404);
    const tooLong = JSON.stringify({ payload: "A".repeat(9000), ttl: 60 });
    expect((await SELF.fetch(url, { method: "POST", headers: { Authorization: `Bearer ${node.credential}` }, body: tooLong })).status).toBe(413);
  });
});
