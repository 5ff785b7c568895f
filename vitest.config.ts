import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { wranglerEnv } from "./scripts/wrangler-env.mjs";

// Tests that start wrangler/workerd from Node read these (offline, no telemetry, no slow tracing).
Object.assign(process.env, wranglerEnv());

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ORA_TOKEN_PEPPER: "workerd-test-pepper-0123456789",
                ORA_ADMIN_TOKEN: "workerd-test-admin-token",
                ORA_RELAY_CLIENT_TIMEOUT_SEC: "5",
                ORA_RELAY_HELLO_TIMEOUT_SEC: "5",
                ORA_RELAY_MAX_PENDING: "8",
                // No Web Push here, whatever a local .dev.vars says (npm start writes keys into it):
                // test/worker/push.test.ts checks the relay without a VAPID key.
                ORA_VAPID_PUBLIC_KEY: "",
                ORA_VAPID_PRIVATE_KEY: "",
              },
            },
          }),
        ],
        test: { name: "worker", include: ["test/worker/**/*.test.ts"] },
      },
      {
        test: {
          name: "node",
          include: ["test/{e2e,agent,protocol,relay,safety,tools,llm,memory,mcp,schedule,web}/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
