/** Entry point: the app when this browser is paired, the pairing screen when not (or at /pair). */
import { appView } from "./app.js";
import { currentLanguage, languageReady } from "./i18n/index.js";
import { routeOf } from "./routes.js";
import { loadDevice } from "./store.js";
import { applyTheme } from "./theme.js";

// The reader's theme and language before anything is drawn, so nothing flashes in the other one.
applyTheme();
document.documentElement.lang = currentLanguage();
const root = document.getElementById("app")!;
// A pairing link's code is read once and leaves the address bar and history before anything else.
// The app's own addresses (#tasks/…, #approvals) are no codes: they stay for the app to open.
const link = location.hash.length > 1 && !routeOf(location.hash) ? location.href : undefined;
if (link !== undefined) history.replaceState(null, "", location.pathname);

async function route(): Promise<void> {
  const [saved] = await Promise.all([loadDevice(), languageReady]);
  const pairing = location.pathname === "/pair" || !saved;
  // Pairing happens once: its key exchange and word list load only when it is needed.
  if (pairing)
    return (await import("./pair-view.js")).pairView(root, {
      link,
      alreadyPaired: saved !== undefined,
      onPaired: (device) => (history.replaceState(null, "", "/"), appView(root, device, route)),
    });
  appView(root, saved, () => void route());
}

// The service worker caches the app shell only, so the app opens without a network; it is an
// improvement, never a requirement (it fails on plain http other than localhost).
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => undefined);
void route();
