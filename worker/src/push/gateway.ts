/**
 * Web Push for one Node's devices, inside the Node's object: the agent registers a device's endpoint
 * and later hands over ciphertext for it; this checks the endpoint against the allowlist (again at
 * every send: settings change), keeps the per-Node rate limit, signs and posts (deliver.ts), forgets
 * endpoints the push service says are gone, and counts every outcome. It never sees a plaintext: the
 * PC encrypted the message to the device's keys, which the relay never receives.
 */
import {
  fromBase64Url,
  PUSH_MAX_BYTES,
  type Device,
  type ErrorCode,
  type PushEndpointRemoved,
  type PushEndpointSet,
  type PushMessageBody,
  type PushSent,
} from "@ora/protocol";
import type { PushConfig } from "./config.js";
import type { AuditLog } from "../node/audit.js";
import { PUSH_SERVICE_HOSTS, pushTarget } from "./allowlist.js";
import { deliver, type DeliverDeps } from "./deliver.js";
import type { PushStore } from "./store.js";

/** One call of the push API, as the Worker hands it to the object. */
export type PushCall =
  | { op: "set"; device: string; endpoint: string }
  | { op: "delete"; device: string }
  /** `subject`: the VAPID contact (the operator's, or the relay's own address), chosen by the Worker. */
  | { op: "send"; device: string; message: PushMessageBody; subject: string };

export type PushRefusal = { ok: false; status: 400 | 401 | 403 | 404 | 413 | 429 | 502; code: ErrorCode; message: string; retryAfterSec?: number };
export type PushResult<T> = { ok: true; value: T } | PushRefusal;

export const PUSH_UNAUTHORIZED: PushRefusal = { ok: false, status: 401, code: "unauthorized", message: "credential not accepted" };
const PUSH_OFF: PushRefusal = { ok: false, status: 404, code: "not_found", message: "this relay sends no notifications: it has no VAPID key" };
const NO_DEVICE: PushRefusal = { ok: false, status: 404, code: "not_found", message: "no such active device" };
const NO_ENDPOINT: PushRefusal = { ok: false, status: 404, code: "not_found", message: "this device has no push endpoint at the relay" };
const SERVICES = PUSH_SERVICE_HOSTS.map((host) => (host.startsWith(".") ? `*${host}` : host)).join(", ");

export class PushGateway {
  constructor(
    private readonly store: PushStore,
    /** The Node's devices (node/devices.ts): endpoints are kept and used for active ones only. */
    private readonly devices: { list(): Device[] },
    private readonly audit: AuditLog,
    private readonly config: PushConfig,
    private readonly deps: DeliverDeps,
  ) {}

  call(call: PushCall): PushResult<unknown> | Promise<PushResult<unknown>> {
    switch (call.op) {
      case "set":
        return this.set(call.device, call.endpoint);
      case "delete":
        return this.delete(call.device);
      case "send":
        return this.send(call.device, call.message, call.subject);
    }
  }

  counters(): Record<string, number> {
    return this.store.counters();
  }

  set(device: string, endpoint: string): PushResult<PushEndpointSet> {
    if (!this.config.vapid) return PUSH_OFF;
    if (!this.active(device)) return NO_DEVICE;
    const target = pushTarget(endpoint, this.config.allowLoopback);
    if (!target.ok) {
      this.store.count("refused_origin");
      return { ok: false, status: 403, code: "forbidden", message: `${target.reason}; it sends only to ${SERVICES}` };
    }
    const before = this.store.endpoint(device);
    this.store.set(device, target.url, this.deps.now());
    if (before !== target.url) this.audit.record("push_subscribed", device, `origin=${target.origin}`);
    return { ok: true, value: { origin: target.origin } };
  }

  delete(device: string): PushResult<PushEndpointRemoved> {
    const removed = this.store.remove(device);
    if (removed) this.audit.record("push_unsubscribed", device);
    return { ok: true, value: { removed } };
  }

  async send(device: string, message: PushMessageBody, subject: string): Promise<PushResult<PushSent>> {
    const vapid = this.config.vapid;
    if (!vapid) return PUSH_OFF;
    if (!this.active(device)) {
      this.delete(device);
      return NO_DEVICE;
    }
    const endpoint = this.store.endpoint(device);
    if (endpoint === null) return NO_ENDPOINT;
    const target = pushTarget(endpoint, this.config.allowLoopback);
    if (!target.ok) {
      this.store.count("refused_origin");
      return { ok: false, status: 403, code: "forbidden", message: `${target.reason}; it sends only to ${SERVICES}` };
    }
    const body = fromBase64Url(message.payload);
    if (body === null) return { ok: false, status: 400, code: "bad_request", message: "payload is not canonical base64url" };
    if (body.byteLength > PUSH_MAX_BYTES) {
      this.store.count("too_large");
      return { ok: false, status: 413, code: "too_large", message: `a push message carries at most ${PUSH_MAX_BYTES} bytes` };
    }
    const slot = this.store.take(this.deps.now(), this.config.perMinute);
    if (!slot.ok) {
      this.store.count("rate_limited");
      return { ok: false, status: 429, code: "rate_limited", message: "too many notifications from this Node; try later", retryAfterSec: slot.retryAfterSec };
    }
    const delivery = await deliver(
      target,
      { body: new Uint8Array(body), ttl: message.ttl, urgency: message.urgency, topic: message.topic },
      { ...vapid, subject },
      this.deps,
    );
    this.store.count("retries", delivery.attempts - 1);
    switch (delivery.outcome) {
      case "sent":
        this.store.count("sent");
        return { ok: true, value: { outcome: "sent" } };
      case "gone":
        this.store.count("gone");
        if (this.store.remove(device, endpoint)) this.audit.record("push_gone", device, `status=${delivery.status}`);
        return { ok: true, value: { outcome: "gone" } };
      case "too_large":
        this.store.count("too_large");
        return { ok: false, status: 413, code: "too_large", message: "the push service refused the message as too large" };
      case "throttled":
        this.store.count("throttled");
        return { ok: false, status: 429, code: "rate_limited", message: "the push service asks to slow down", retryAfterSec: delivery.retryAfterSec };
      case "failed":
        this.store.count("failed");
        return {
          ok: false,
          status: 502,
          code: "internal",
          message: delivery.status === null ? "the push service could not be reached" : `the push service did not take the message (HTTP ${delivery.status})`,
        };
    }
  }

  private active(device: string): boolean {
    const now = this.deps.now();
    return this.devices.list().some((d) => d.id === device && d.revokedAt === null && (d.expiresAt === null || d.expiresAt > now));
  }
}
