#!/usr/bin/env node
/**
 * Part of `npm test`: the web client's tests drive a real Chromium and never skip, so the browser
 * must be there. Uses CHROMIUM_PATH when set, else Debian's /usr/bin/chromium, installing it with
 * apt-get (through sudo when not root) when it is missing. Fails loudly when it cannot.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const wanted = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const say = (line) => process.stderr.write(`ensure-chromium: ${line}\n`);

function usable(path) {
  try {
    execFileSync(path, ["--version"], { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

if (existsSync(wanted) && usable(wanted)) process.exit(0);
if (process.env.CHROMIUM_PATH) {
  say(`CHROMIUM_PATH=${wanted} is not a working Chromium`);
  process.exit(1);
}
if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
  say("no Chromium at /usr/bin/chromium and no apt-get to install it: install Chromium and set CHROMIUM_PATH");
  process.exit(1);
}
const root = typeof process.getuid === "function" && process.getuid() === 0;
const run = (args) =>
  execFileSync(root ? args[0] : "sudo", root ? args.slice(1) : ["-n", ...args], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
say("installing Debian's chromium for the browser tests (about half a minute)…");
try {
  run(["apt-get", "update", "-qq"]);
  run(["apt-get", "install", "-y", "--no-install-recommends", "chromium"]);
} catch {
  say("could not install chromium with apt-get (are you root, or allowed to sudo without a password?)");
  process.exit(1);
}
if (!usable(wanted)) {
  say("chromium was installed but does not run");
  process.exit(1);
}
