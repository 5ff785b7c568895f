/**
 * `ora-agent update` and `ora-agent update --rollback`, free of the command line: everything from
 * outside comes in as options (the release key, the manifest's URL, fetch, the installer), so that
 * tests run the real rules against a local release site, a key of their own and a fake npm.
 *
 * Update: verify the manifest's signature → choose a newer release (never an older one) → download
 * its tarball and check its integrity hash → keep the current version's tarball too, verified the
 * same way, for a rollback → back up the profile's database (the new version migrates it when it
 * starts, not before) → record all that → install. Rollback: with the agent stopped, reinstall the
 * kept tarball after checking it again, then put the database backup back.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { compareAgentVersions } from "@ora/protocol";
import { UserError } from "../errors.js";
import { databasePath } from "../safety/db.js";
import { runningAgent } from "../state.js";
import { backupDatabase, restoreDatabase } from "./backup.js";
import { fetchBytes, releaseUrl, type Fetch } from "./download.js";
import type { Installer } from "./install.js";
import { chooseRelease, integrityOf, verifyManifest, type Release, type ReleaseList } from "./manifest.js";
import { backupPath, ensureUpdatesDir, readUpdateRecord, recordPath, rolledBackPath, tarballPath, updatesDir, writeUpdateRecord } from "./record.js";

const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;
const TARBALL_MAX_BYTES = 256 * 1024 * 1024;

export interface UpdateOptions {
  stateDir: string;
  /** The version installed now (the CLI passes its own). */
  current: string;
  manifestUrl: string;
  /** The Ed25519 key the manifest must be signed with (the CLI passes the pinned release key). */
  publicKey: Uint8Array;
  install: Installer;
  /** A version from the manifest instead of the newest. */
  to?: string;
  /** Only say what would be installed. */
  check?: boolean;
  fetch?: Fetch;
  say(line: string): void;
}

export type UpdateOutcome =
  | { kind: "up-to-date"; newest: string }
  | { kind: "available"; version: string }
  | { kind: "installed"; version: string; backup: string | null };

export async function update(options: UpdateOptions): Promise<UpdateOutcome> {
  const { stateDir, current, say } = options;
  const manifestUrl = releaseUrl(options.manifestUrl);
  const list = verifyManifest(
    new TextDecoder().decode(await fetchBytes(manifestUrl, "the release manifest", MANIFEST_MAX_BYTES, options.fetch)),
    options.publicKey,
  );
  const target = chooseTarget(list, current, options.to);
  if (target === null) {
    const newest = chooseRelease(list)!.version;
    say(`ora-agent ${current} is up to date (the newest release is ${newest}, manifest of ${list.published})`);
    return { kind: "up-to-date", newest };
  }
  if (options.check) {
    say(`ora-agent ${target.version} is available (you have ${current}); run ora-agent update to install it`);
    return { kind: "available", version: target.version };
  }

  ensureUpdatesDir(stateDir);
  const tarball = await download(stateDir, target, manifestUrl, options.fetch);
  say(`downloaded ora-agent ${target.version} and checked it against the signed manifest`);
  const previous = chooseRelease(list, current);
  let kept: string | null = null;
  try {
    if (previous) kept = await download(stateDir, previous, manifestUrl, options.fetch);
  } catch (error) {
    // Only a rollback needs it: say so, and go on.
    if (!(error instanceof UserError)) throw error;
    say(`warning: ${error.message}`);
  }
  if (kept === null) say(`warning: no verified copy of ora-agent ${current}, so --rollback will not be able to reinstall it`);

  const backup = backupPath(stateDir, current);
  const backedUp = await backupDatabase(databasePath(stateDir), backup);
  say(backedUp ? `backed up this profile's database to ${backup}` : "this profile has no database yet: nothing to back up");
  // Written before npm runs: a rollback must work even after an install that failed half-way.
  writeUpdateRecord(stateDir, {
    at: new Date().toISOString(),
    from: { version: current, tarball: kept, integrity: kept === null ? null : previous!.integrity },
    to: { version: target.version, tarball, integrity: target.integrity },
    backup: backedUp ? backup : null,
  });
  await options.install(tarball);
  const running = runningAgent(stateDir);
  say(
    `installed ora-agent ${target.version}${running ? `; the running agent (pid ${running.pid}) is still ${current} until you restart it` : ""}. ` +
      "If it misbehaves: ora-agent update --rollback",
  );
  return { kind: "installed", version: target.version, backup: backedUp ? backup : null };
}

/** The release to install, null when there is nothing newer; refuses a version that is not newer. */
function chooseTarget(list: ReleaseList, current: string, wanted: string | undefined): Release | null {
  if (wanted === undefined) {
    const newest = chooseRelease(list)!;
    return compareAgentVersions(newest.version, current) > 0 ? newest : null;
  }
  const release = chooseRelease(list, wanted);
  if (!release) throw new UserError(`the release manifest has no ora-agent ${wanted}`, 1);
  const order = compareAgentVersions(release.version, current);
  if (order === 0) return null;
  if (order < 0) {
    throw new UserError(
      `ora-agent ${release.version} is older than this one (${current}): update never downgrades. ` +
        "ora-agent update --rollback returns to the version before the last update, with its database",
      1,
    );
  }
  return release;
}

/** Fetches a release's tarball (or reuses the copy kept earlier) and keeps it only if its integrity matches. */
async function download(stateDir: string, release: Release, manifestUrl: URL, fetchImpl: Fetch | undefined): Promise<string> {
  const path = tarballPath(stateDir, release.version);
  if (keptCopyMatches(path, release.integrity)) return path;
  const url = releaseUrl(release.tarball, manifestUrl.href);
  const bytes = await fetchBytes(url, `ora-agent ${release.version}`, TARBALL_MAX_BYTES, fetchImpl);
  if (integrityOf(bytes) !== release.integrity) {
    throw new UserError(`ora-agent ${release.version} from ${url.href} does not match the integrity hash in the signed manifest, so it was not kept`, 1);
  }
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes, { mode: 0o600 });
  renameSync(temp, path);
  return path;
}

function keptCopyMatches(path: string, integrity: string): boolean {
  try {
    return integrityOf(readFileSync(path)) === integrity;
  } catch {
    return false;
  }
}

export interface RollbackOptions {
  stateDir: string;
  current: string;
  install: Installer;
  say(line: string): void;
}

/** Back to the version before the last update, with the database as it was then. */
export async function rollback(options: RollbackOptions): Promise<{ version: string }> {
  const { stateDir, current, say } = options;
  const record = readUpdateRecord(stateDir);
  if (!record) throw new UserError(`there is no update to roll back in this profile (${updatesDir(stateDir)} has no last-update.json)`, 1);
  const { from, to } = record;
  if (current !== to.version && current !== from.version) {
    throw new UserError(`this is ora-agent ${current}, but the last update went from ${from.version} to ${to.version}: nothing to roll back`, 1);
  }
  const running = runningAgent(stateDir);
  // The database is about to be replaced under it, and the files it runs from reinstalled.
  if (running) throw new UserError(`the agent is running (pid ${running.pid}): stop it first, then run ora-agent update --rollback again`, 1);
  if (from.tarball === null || from.integrity === null) {
    throw new UserError(
      `ora-agent ${from.version} was not in the release manifest when it was updated, so it cannot be reinstalled from here` +
        `${record.backup ? `; its database backup is ${record.backup}` : ""}`,
      1,
    );
  }
  if (!keptCopyMatches(from.tarball, from.integrity)) {
    throw new UserError(
      `the kept copy of ora-agent ${from.version} (${from.tarball}) is missing or no longer matches its integrity hash; nothing was changed`,
      1,
    );
  }
  await options.install(from.tarball);
  say(`reinstalled ora-agent ${from.version}`);
  if (record.backup) {
    const aside = backupPath(stateDir, `${to.version}-rolled-back`);
    await restoreDatabase(stateDir, record.backup, aside);
    say(`restored the database from before the update (the one ${to.version} used is kept as ${aside})`);
  }
  renameSync(recordPath(stateDir), rolledBackPath(stateDir));
  say(`rolled back from ${to.version} to ${from.version}; start the agent again with ora-agent start`);
  return { version: from.version };
}
