/**
 * The service worker: caches the app shell (the page, its script and style, manifest, icons) so the
 * app opens without a network, and shows the PC's notifications. Never API traffic: /v1/* and
 * /healthz always go to the network, and WebSockets do not pass through a service worker at all.
 * The build fills in SHELL and VERSION.
 */
import { clickTarget, type OpenMessage, readNotification } from "./notification.js";

declare const SHELL: string[];
declare const VERSION: string;

const CACHE = `ora-shell-${VERSION}`;
const sw = self as unknown as ServiceWorkerGlobalScope;

sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  const old = caches.keys().then((keys) => Promise.all(keys.filter((key) => key.startsWith("ora-shell-") && key !== CACHE).map((key) => caches.delete(key))));
  event.waitUntil(old.then(() => sw.clients.claim()));
});

sw.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith("/v1/") || url.pathname === "/healthz") return;
  // Pages: the network first (a new version shows at once), the cached shell when offline.
  if (event.request.mode === "navigate") {
    event.respondWith(fetch(event.request).catch(async () => (await caches.match("/", { cacheName: CACHE })) ?? Response.error()));
    return;
  }
  // Hashed file names never change content, so the cache can answer first.
  if (SHELL.includes(url.pathname)) event.respondWith(caches.match(event.request, { cacheName: CACHE }).then((hit) => hit ?? fetch(event.request)));
});

// The push service delivers what the PC encrypted to this device (RFC 8291); the browser has
// decrypted it. Anything but a well-formed notification body is ignored.
sw.addEventListener("push", (event) => {
  let data: unknown;
  try {
    data = event.data?.json();
  } catch {
    return;
  }
  const notification = readNotification(data);
  if (!notification) return;
  const { title, body, tag, url } = notification;
  event.waitUntil(sw.registration.showNotification(title, { body, tag, data: { url }, icon: "/icon-192.png" }));
});

// A click opens the page it names: an open window of the app is focused and told where to go (it
// routes by itself, without a reload); otherwise a new window opens there.
sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = clickTarget(event.notification.data, sw.location.origin);
  event.waitUntil(
    sw.clients.matchAll({ type: "window", includeUncontrolled: true }).then(async (windows) => {
      const open = windows.find((client) => new URL(client.url).origin === sw.location.origin);
      if (!open) return void (await sw.clients.openWindow(url));
      open.postMessage({ type: "open", url } satisfies OpenMessage);
      await open.focus();
    }),
  );
});
