import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Keeps wrangler offline and fast (see TOOLCHAIN.md): no telemetry, no tracing tail, local config dirs. */
export function wranglerEnv(): Record<string, string> {
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
