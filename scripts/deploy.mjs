#!/usr/bin/env node
/**
 * `npm run deploy`: the relay and the web client into your own Cloudflare account, in one command.
 *
 *   1. `wrangler whoami`: logged in? (If not: `npx wrangler login`, then run this again.)
 *   2. `wrangler secret list`: which secrets the relay already has. Each missing one is made here —
 *      the credential pepper, the admin token, a VAPID key pair for Web Push — and uploaded with the
 *      deployment (`wrangler deploy --secrets-file`, from a 0600 file in a private temporary
 *      directory, removed afterwards). An existing secret is never replaced: a new pepper would end
 *      every credential, a new VAPID key every push subscription.
 *   3. `wrangler deploy` (after `npm run build`, which the npm script runs first).
 *
 * No secret is printed. The admin token, when it is made here, is kept in .ora/deploy/admin-token
 * (0600) for the admin API; docs/OPERATIONS.md, Deploying.
 *
 *   npm run deploy                      # deploy (wrangler.toml decides the name and the routes)
 *   npm run deploy -- --dry-run         # bundle and check, upload nothing (no account needed)
 *   npm run deploy -- --env production  # passed on to wrangler
 *
 * ORA_WRANGLER names another wrangler executable (the tests use a stand-in that records its calls);
 * ORA_DEPLOY_DIR, another place for the admin token.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateVapidKeys } from "./vapid-keys.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Run with this Node (wrangler needs 22; `npm run` puts the repository's Node first on PATH). */
const WRANGLER = process.env.ORA_WRANGLER ? [process.env.ORA_WRANGLER] : [process.execPath, join(root, "node_modules", "wrangler", "bin", "wrangler.js")];
/** Where the admin token made by a first deployment is kept (ORA_DEPLOY_DIR to choose). */
const KEEP = process.env.ORA_DEPLOY_DIR ?? join(root, ".ora", "deploy");
/** No telemetry; the account login stays where wrangler keeps it (unlike wrangler-env.mjs for local runs). */
const QUIET = { WRANGLER_SEND_METRICS: "false", WRANGLER_SEND_ERROR_REPORTS: "false", WRANGLER_NO_SKILLS_UPDATE_PROMPTS: "true" };

const say = (line) => process.stdout.write(`${line}\n`);

class DeployError extends Error {}

/** Runs wrangler; resolves with its exit code and output. `show`: its output goes to the terminal too. */
function wrangler(args, { show = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(WRANGLER[0], [...WRANGLER.slice(1), ...args], { cwd: root, env: { ...process.env, ...QUIET }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (show) process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      err += d;
      if (show) process.stderr.write(d);
    });
    child.on("error", (error) => reject(new DeployError(`cannot run wrangler (${WRANGLER.join(" ")}): ${error.message}; run "npm install" first`)));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

const secret = () => randomBytes(32).toString("base64url");

/** The secrets the relay needs that it does not have yet, made now. */
async function missingSecrets(existing) {
  const made = {};
  if (!existing.has("ORA_TOKEN_PEPPER")) made.ORA_TOKEN_PEPPER = secret();
  if (!existing.has("ORA_ADMIN_TOKEN")) made.ORA_ADMIN_TOKEN = secret();
  // The pair goes together: a public key without its private one (or the other way) is useless.
  if (!existing.has("ORA_VAPID_PUBLIC_KEY") && !existing.has("ORA_VAPID_PRIVATE_KEY")) {
    const vapid = await generateVapidKeys();
    made.ORA_VAPID_PUBLIC_KEY = vapid.publicKey;
    made.ORA_VAPID_PRIVATE_KEY = vapid.privateKey;
  } else if (!existing.has("ORA_VAPID_PUBLIC_KEY") || !existing.has("ORA_VAPID_PRIVATE_KEY")) {
    say("deploy: only one half of the VAPID key pair is set; notifications stay off until both are (docs/OPERATIONS.md, Web Push)");
  }
  return made;
}

/** Names of the secrets already set, or none when the Worker does not exist yet. */
async function existingSecrets(passthrough) {
  const listed = await wrangler(["secret", "list", "--format", "json", ...passthrough]);
  if (listed.code !== 0) {
    if (/not found|does not exist|10007/i.test(`${listed.out}${listed.err}`)) return new Set();
    throw new DeployError(`wrangler secret list failed:\n${(listed.err || listed.out).trim()}`);
  }
  let names;
  try {
    names = JSON.parse(listed.out).map((s) => s.name);
  } catch {
    throw new DeployError("wrangler secret list did not answer with JSON; is wrangler up to date (npm install)?");
  }
  return new Set(names);
}

async function main(argv) {
  const dryRun = argv.includes("--dry-run");
  const passthrough = argv.filter((a) => a !== "--dry-run");
  if (passthrough.includes("--help") || passthrough.includes("-h")) {
    say("Usage: npm run deploy [-- --dry-run] [-- <wrangler deploy options, e.g. --env production>]");
    say("Deploys the relay and the web client with wrangler, making each missing secret first. See docs/OPERATIONS.md, Deploying.");
    return 0;
  }
  if (dryRun) {
    say("deploy: dry run: bundling and checking, nothing is uploaded");
    const run = await wrangler(["deploy", "--dry-run", "--outdir", join(root, ".wrangler", "deploy-dry-run"), ...passthrough], { show: true });
    return run.code === 0 ? 0 : 1;
  }
  const who = await wrangler(["whoami"]);
  if (who.code !== 0 || /not authenticated|not logged in/i.test(`${who.out}${who.err}`)) {
    throw new DeployError('not logged in to Cloudflare: run "npx wrangler login" (or set CLOUDFLARE_API_TOKEN), then "npm run deploy" again');
  }
  const existing = await existingSecrets(passthrough);
  const made = await missingSecrets(existing);
  const names = Object.keys(made);
  say(names.length === 0 ? "deploy: the relay has every secret it needs" : `deploy: making ${names.join(", ")} (kept at Cloudflare, never printed)`);

  const dir = mkdtempSync(join(tmpdir(), "ora-deploy-"));
  chmodSync(dir, 0o700);
  try {
    const args = ["deploy", ...passthrough];
    if (names.length > 0) {
      const file = join(dir, "secrets.json");
      writeFileSync(file, JSON.stringify(made), { mode: 0o600 });
      args.push("--secrets-file", file);
    }
    const run = await wrangler(args, { show: true });
    if (run.code !== 0) throw new DeployError("wrangler deploy failed (its output is above); nothing else was changed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (made.ORA_ADMIN_TOKEN) {
    mkdirSync(KEEP, { recursive: true, mode: 0o700 });
    writeFileSync(join(KEEP, "admin-token"), `${made.ORA_ADMIN_TOKEN}\n`, { mode: 0o600 });
    say(`deploy: the admin token is in ${join(KEEP, "admin-token")} (readable only by you): keep it, it is not shown again`);
  }
  say("deploy: done. Point the agent at the relay's URL above: npx ora-agent start --relay https://<your relay>");
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof DeployError)) throw error;
  process.stderr.write(`deploy: ${error.message}\n`);
  process.exitCode = 1;
}
