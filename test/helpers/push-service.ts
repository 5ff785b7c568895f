/**
 * A push service on 127.0.0.1 that speaks RFC 8030 as far as the relay can tell: it checks each
 * message's VAPID token (RFC 8292: ES256 signature with WebCrypto, `aud` the endpoint's origin, `exp`
 * within 24 h, the relay's public key), decrypts the body with the subscription's private key and auth
 * secret (http_ece, an implementation independent of the one that encrypted it) and answers 201, or
 * whatever a test queued for that subscription (404, 410, 413, 429 …).
 */
import { createECDH, type ECDH } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { NotificationBody, type PushSubscription } from "@ora/protocol";
import ece from "http_ece";
import { z } from "zod";

const Claims = z.object({ aud: z.string(), exp: z.number(), sub: z.string().min(1) });

export interface TestSubscription {
  name: string;
  /** What a browser's `subscription.toJSON()` would hand over (expirationTime left out). */
  subscription: PushSubscription;
  privateKey: ECDH;
  authSecret: Uint8Array;
}

export interface ReceivedPush {
  name: string;
  headers: IncomingHttpHeaders;
  /** The bytes as they arrived: ciphertext. */
  body: Buffer;
  /** The decrypted body, and it parsed as a NotificationBody. */
  text: string;
  notification: NotificationBody;
  claims: { aud: string; exp: number; sub: string };
  /** When it arrived here (ms since the epoch). */
  receivedAt: number;
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
}

export class FakePushService {
  readonly received: ReceivedPush[] = [];
  /** Every message that failed a check, and why: a test expects this to stay empty. */
  readonly problems: string[] = [];
  private readonly subscriptions = new Map<string, TestSubscription>();
  private readonly answers = new Map<string, Answer[]>();
  private readonly waiters = new Set<{ name: string; resolve: (push: ReceivedPush) => void }>();
  /** Every request, answered or not, by subscription name. */
  readonly attempts = new Map<string, number>();

  private constructor(
    readonly url: string,
    private readonly vapidPublicKey: string,
    private readonly server: ReturnType<typeof createServer>,
  ) {}

  static async start(vapidPublicKey: string): Promise<FakePushService> {
    let service: FakePushService | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        void service!.handle(request.url ?? "", request.method ?? "", request.headers, Buffer.concat(chunks)).then((answer) => {
          response.writeHead(answer.status, answer.headers ?? {});
          response.end();
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    service = new FakePushService(`http://127.0.0.1:${port}`, vapidPublicKey, server);
    return service;
  }

  /** A new subscription at this service, its keys made the way a browser makes them (ECDH P-256). */
  async subscribe(name: string): Promise<TestSubscription> {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
    const privateKey = createECDH("prime256v1");
    privateKey.setPrivateKey(Buffer.from(d!, "base64url"));
    const authSecret = crypto.getRandomValues(new Uint8Array(16));
    const subscription = {
      endpoint: `${this.url}/push/${name}`,
      keys: { p256dh: Buffer.from(publicKey).toString("base64url"), auth: Buffer.from(authSecret).toString("base64url") },
    };
    const test = { name, subscription, privateKey, authSecret };
    this.subscriptions.set(name, test);
    return test;
  }

  /** The next requests to `name` get these answers, in order; after them, 201 again. */
  answer(name: string, ...answers: Answer[]): void {
    this.answers.set(name, [...(this.answers.get(name) ?? []), ...answers]);
  }

  /** The next message `name` receives (one already received and not yet taken counts). */
  next(name: string, ms = 10_000): Promise<ReceivedPush> {
    const index = this.received.findIndex((push) => push.name === name);
    if (index !== -1) return Promise.resolve(this.received.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        name,
        resolve: (push: ReceivedPush) => {
          clearTimeout(timer);
          resolve(push);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${name} received no push within ${ms} ms; problems: ${this.problems.join("; ") || "none"}`));
      }, ms);
      this.waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(path: string, method: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
    const name = /^\/push\/([\w-]+)$/.exec(path)?.[1];
    const subscription = name === undefined ? undefined : this.subscriptions.get(name);
    if (method !== "POST" || !name || !subscription) return { status: 404 };
    this.attempts.set(name, (this.attempts.get(name) ?? 0) + 1);
    const queued = this.answers.get(name)?.shift();
    if (queued) return queued;
    try {
      const claims = await this.checkVapid(headers.authorization ?? "", subscription.subscription.endpoint);
      if (headers["content-encoding"] !== "aes128gcm") throw new Error(`Content-Encoding ${headers["content-encoding"]}`);
      if (!/^\d+$/.test(String(headers.ttl))) throw new Error(`TTL ${headers.ttl}`);
      const text = ece.decrypt(body, { version: "aes128gcm", privateKey: subscription.privateKey, authSecret: subscription.authSecret }).toString("utf8");
      const push = { name, headers, body, text, notification: NotificationBody.parse(JSON.parse(text)), claims, receivedAt: Date.now() };
      const waiter = [...this.waiters].find((w) => w.name === name);
      if (waiter) {
        this.waiters.delete(waiter);
        waiter.resolve(push);
      } else this.received.push(push);
      return { status: 201, headers: { Location: `${this.url}/message/${this.received.length}` } };
    } catch (error) {
      this.problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      return { status: 400 };
    }
  }

  /** RFC 8292 §3: `vapid t=<JWT>, k=<public key>`; the JWT signed with that key, for this origin, soon to expire. */
  private async checkVapid(authorization: string, endpoint: string): Promise<ReceivedPush["claims"]> {
    const match = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(authorization);
    if (!match) throw new Error(`Authorization is not vapid: ${authorization.slice(0, 20)}`);
    const [, header = "", payload = "", signature = "", key = ""] = match;
    if (key !== this.vapidPublicKey) throw new Error("signed with another key than the relay's VAPID public key");
    const verifier = await crypto.subtle.importKey("raw", Buffer.from(key, "base64url"), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const signed = await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      verifier,
      Buffer.from(signature, "base64url"),
      new TextEncoder().encode(`${header}.${payload}`),
    );
    if (!signed) throw new Error("the VAPID signature does not verify");
    if (JSON.parse(Buffer.from(header, "base64url").toString()).alg !== "ES256") throw new Error("the VAPID token is not ES256");
    const claims = Claims.parse(JSON.parse(Buffer.from(payload, "base64url").toString()));
    // The signing library refuses http: endpoints, so the relay signs a loopback endpoint as its https twin.
    const origin = new URL(endpoint).origin.replace(/^http:/, "https:");
    if (claims.aud !== origin) throw new Error(`aud ${claims.aud} is not ${origin}`);
    const now = Date.now() / 1000;
    if (!(claims.exp > now && claims.exp <= now + 24 * 3600)) throw new Error(`exp ${claims.exp} is not within 24 h`);
    return claims;
  }
}

/** A VAPID key pair as an operator makes one (scripts/vapid-keys.mjs does the same). */
export async function vapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const publicKey = Buffer.from(await crypto.subtle.exportKey("raw", pair.publicKey)).toString("base64url");
  const { d } = await crypto.subtle.exportKey("jwk", pair.privateKey);
  return { publicKey, privateKey: d! };
}

/** The relay settings that turn Web Push on towards a push service on 127.0.0.1. */
export function pushRelayVars(vapid: { publicKey: string; privateKey: string }): Record<string, string> {
  return {
    ORA_VAPID_PRIVATE_KEY: vapid.privateKey,
    ORA_VAPID_PUBLIC_KEY: vapid.publicKey,
    ORA_VAPID_SUBJECT: "mailto:operator@example.test",
    ORA_PUSH_ALLOW_LOOPBACK: "1",
  };
}
