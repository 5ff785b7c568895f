/**
 * The service worker: caches the app shell (the page, every script chunk and the style, manifest,
 * icons) so the app opens at once and without a network, and shows the PC's notifications. Never API traffic: /v1/* and
 * /healthz always go to the network, and WebSockets do not pass through a service worker at all.
 * The build fills in SHELL and VERSION.
 */
import { clickTarget, type OpenMessage, readNotification } from "./notification.js";

declare const SHELL: string[];
declare const VERSION: string;

const CACHE = `ora-shell-${VERSION}`;
const sw = self as unknown as ServiceWorkerGlobalScope;
/** The app's own pages: the build serves index.html at both. */
const APP_PAGES = new Set(["/", "/pair"]);

/** The static routing API (Chromium): the browser answers these from the cache without starting this worker. */
interface StaticRoutes {
  addRoutes?(routes: { condition: { urlPattern: string; requestMode?: string }; source: "cache" }[]): Promise<void>;
}

sw.addEventListener("install", (event) => {
  // Hashed files, and the page at "/" (cached under that name): the other pages still pass through fetch below.
  const routes = [
    ...["/app-*", "/chunk-*", "/style-*"].map((urlPattern) => ({ condition: { urlPattern }, source: "cache" as const })),
    { condition: { urlPattern: "/", requestMode: "navigate" }, source: "cache" as const },
  ];
  try {
    (event as ExtendableEvent & StaticRoutes).addRoutes?.(routes).catch(() => undefined);
  } catch {
    // An older router: the fetch handler below answers the same way.
  }
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => sw.skipWaiting()),
  );
});

// The version before this one is kept: a page it started may still load its lazy chunks from it.
sw.addEventListener("activate", (event) => {
  const old = caches.keys().then((keys) => {
    const shells = keys.filter((key) => key.startsWith("ora-shell-") && key !== CACHE);
    return Promise.all(shells.slice(0, -1).map((key) => caches.delete(key)));
  });
  event.waitUntil(old.then(() => sw.clients.claim()));
});

sw.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== sw.location.origin) return;
  if (url.pathname.startsWith("/v1/") || url.pathname === "/healthz") return;
  const shell = () => caches.match("/", { cacheName: CACHE });
  if (event.request.mode === "navigate") {
    // The app's pages: the cached shell at once, so the chat shows without waiting for the network.
    // The browser checks sw.js on every navigation; a new version installs meanwhile and shows at the next start.
    if (APP_PAGES.has(url.pathname)) event.respondWith(shell().then((hit) => hit ?? fetch(event.request)));
    // Any other page: the network first, the cached shell when offline.
    else event.respondWith(fetch(event.request).catch(async () => (await shell()) ?? Response.error()));
    return;
  }
  // Hashed file names never change content, so the cache can answer first (this version's, or the one
  // before it for a page that version started).
  if (SHELL.includes(url.pathname) || /^\/[a-z]+-[A-Z0-9]{8}\.(js|css)$/.test(url.pathname))
    event.respondWith(caches.match(event.request).then((hit) => hit ?? fetch(event.request)));
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
