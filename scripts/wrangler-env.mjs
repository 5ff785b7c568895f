import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Keeps wrangler/workerd offline and fast: no telemetry, no tracing tail (which costs ~10× in
 * local Durable Object WebSocket throughput), config and data dirs inside the repository.
 * Used by `npm start`, the tests and the benchmarks.
 */
export function wranglerEnv() {
  return {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true",
    X_LOCAL_OBSERVABILITY: "false",
    X_LOCAL_EXPLORER: "false",
    XDG_CONFIG_HOME: `${root}.wrangler/xdg-config`,
    XDG_DATA_HOME: `${root}.wrangler/xdg-data`,
  };
}
