/**
 * The service worker: caches the app shell (the page, its script and style, manifest, icons) so the
 * app opens without a network. Never API traffic: /v1/* and /healthz always go to the network, and
 * WebSockets do not pass through a service worker at all. The build fills in SHELL and VERSION.
 */
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
