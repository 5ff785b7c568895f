/**
 * What the service worker does with a push and a click, as plain functions (sw.ts wires them to its
 * events; the tests call them directly). The decrypted body must be the catalogue's NotificationBody;
 * the check is written out here rather than done with its zod schema, because zod alone would make the
 * service worker some 60 KiB larger for four strings (test/web/notification.test.ts holds the two to
 * the same verdicts). A click only ever opens this app's own pages.
 */
import type { NotificationBody } from "@ora/protocol";

/** The catalogue's NotificationBody.url: a page of this app, "/#approvals", "/#tasks/<id>". */
const APP_URL = /^\/#[A-Za-z0-9/_.-]*$/;
const LIMITS = { title: 120, body: 400, tag: 64 } as const;

/** The notification to show for a push body, or undefined for anything that is not one. */
export function readNotification(data: unknown): NotificationBody | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  if (!("title" in data && "body" in data && "url" in data && "tag" in data)) return undefined;
  const { title, body, url, tag } = data;
  if (typeof title !== "string" || title.length > LIMITS.title) return undefined;
  if (typeof body !== "string" || body.length > LIMITS.body) return undefined;
  if (typeof tag !== "string" || tag.length > LIMITS.tag) return undefined;
  if (typeof url !== "string" || !APP_URL.test(url)) return undefined;
  return { title, body, url, tag };
}

/** Where a click on a notification leads: its page of this app, or the app's start page. */
export function clickTarget(data: unknown, origin: string): string {
  const url = typeof data === "object" && data !== null && "url" in data ? data.url : undefined;
  return `${origin}${typeof url === "string" && APP_URL.test(url) ? url : "/"}`;
}

/** The message the service worker sends an open page of the app: show this address. */
export interface OpenMessage {
  type: "open";
  url: string;
}

/** The hash of an OpenMessage (e.g. "#tasks/t1"), or undefined for any other message. */
export function openedHash(message: unknown, origin: string): string | undefined {
  if (typeof message !== "object" || message === null || !("type" in message && "url" in message)) return undefined;
  if (message.type !== "open" || typeof message.url !== "string" || !message.url.startsWith(`${origin}/#`)) return undefined;
  const path = message.url.slice(origin.length);
  return APP_URL.test(path) ? path.slice(1) : undefined;
}
