/**
 * Notifications on a device's lock screen (Web Push, RFC 8030/8291/8292). The device hands its push
 * subscription to the PC over the sealed session; the PC encrypts every notification to it, and the
 * relay only learns the endpoint URL and forwards ciphertext.
 */
import * as z from "zod/mini";
import { EVERYONE, method } from "./define.js";

const Base64Url = z.string().check(z.regex(/^[A-Za-z0-9_-]+$/));

/** A browser's PushSubscription as `toJSON()` gives it (expirationTime left out). */
export const PushSubscription = z.object({
  endpoint: z.url({ protocol: /^https?$/ }).check(z.maxLength(2048)),
  keys: z.object({
    /** The subscription's P-256 public key, uncompressed (65 bytes → 87 base64url characters). */
    p256dh: Base64Url.check(z.length(87)),
    /** The 16-byte auth secret (22 base64url characters). */
    auth: Base64Url.check(z.length(22)),
  }),
});
export type PushSubscription = z.infer<typeof PushSubscription>;

export const notificationMethods = {
  "notifications.subscribe": method({
    description: "Turns notifications on for this device: its push subscription, kept on the PC (the relay learns only the endpoint).",
    roles: EVERYONE,
    params: PushSubscription,
    result: z.object({ enabled: z.literal(true) }),
  }),
  "notifications.unsubscribe": method({
    description: "Turns notifications off for this device.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ enabled: z.literal(false) }),
  }),
  "notifications.status": method({
    description: "Whether this device gets notifications.",
    roles: EVERYONE,
    params: z.unknown(),
    result: z.object({ enabled: z.boolean() }),
  }),
};

/**
 * What a notification's encrypted body holds (the service worker shows it). Short, and never a
 * secret or a CRITICAL code: it can be read on a locked screen.
 */
export const NotificationBody = z.object({
  title: z.string().check(z.maxLength(120)),
  body: z.string().check(z.maxLength(400)),
  /** Where tapping it leads, inside the web client: "/#approvals", "/#tasks/<id>". */
  url: z.string().check(z.regex(/^\/#[A-Za-z0-9/_.-]*$/)),
  /** Notifications with the same tag replace each other (one per approval or task). */
  tag: z.string().check(z.maxLength(64)),
});
export type NotificationBody = z.infer<typeof NotificationBody>;
