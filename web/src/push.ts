/**
 * This browser's side of Web Push: whether it can, the relay's VAPID public key (the relay signs
 * every push it forwards, RFC 8292), and the subscription itself. The subscription goes to the PC,
 * which encrypts each notification to it (RFC 8291); the relay only ever sees ciphertext.
 */
import { fromBase64Url, RELAY_HTTP } from "@ora/protocol";
import { t } from "./i18n/index.js";

/** The relay answered that it sends no notifications (its operator configured no VAPID key). */
export class NoPushError extends Error {}

/** Something in the way, already said as a sentence for the person. */
export class PushProblem extends Error {}

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window && "showNotification" in ServiceWorkerRegistration.prototype;
}

/** The subscription this browser holds for the app, if any. */
export async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

/**
 * The relay's VAPID public key: `GET /v1/push/vapid-key` → `{"publicKey": "<base64url>"}`, an
 * uncompressed P-256 point (65 bytes, first byte 4). A 404 means the relay does no Web Push.
 */
export async function vapidKey(relay: string): Promise<Uint8Array> {
  const response = await fetch(new URL(RELAY_HTTP.vapidKey.path, relay), { cache: "no-store" });
  if (response.status === 404) throw new NoPushError("the relay has no VAPID key");
  if (!response.ok) throw new PushProblem(t("errors.push.key-http", { status: response.status }));
  const body = RELAY_HTTP.vapidKey.response.safeParse(await response.json().catch(() => undefined));
  const key = body.success ? fromBase64Url(body.data.publicKey) : null;
  if (key?.length !== 65 || key[0] !== 4) throw new PushProblem(t("errors.push.key-invalid"));
  return key;
}

/** Subscribes with the relay's key; a subscription made with another key (the relay's changed) is replaced. */
export async function subscribe(key: Uint8Array): Promise<PushSubscription> {
  const registration = await within(navigator.serviceWorker.ready, 10_000, () => t("errors.push.no-worker"));
  const existing = await registration.pushManager.getSubscription();
  if (existing) {
    const current = existing.options.applicationServerKey;
    if (current && sameBytes(new Uint8Array(current), key)) return existing;
    await existing.unsubscribe();
  }
  // The browser asks its push service (e.g. FCM, Mozilla's, Apple's) for an endpoint: it may be slow
  // or unreachable, and then it would never settle.
  return within(registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: new Uint8Array(key) }), 30_000, () =>
    t("errors.push.no-answer"),
  );
}

export async function unsubscribe(): Promise<void> {
  await (await currentSubscription())?.unsubscribe();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** A promise that gives up after `ms` with a sentence for the person. */
function within<T>(promise: Promise<T>, ms: number, sentence: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PushProblem(sentence())), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
