import { isAgentVersion } from "@ora/protocol";
import { UserError } from "../errors.js";
import { ensureStateDir } from "../state.js";
import { npmInstaller } from "../update/install.js";
import { publicKeyFrom } from "../update/manifest.js";
import { DEFAULT_MANIFEST_URL, RELEASE_PUBLIC_KEY } from "../update/release-key.js";
import { rollback, update } from "../update/updater.js";
import { AGENT_VERSION } from "../version.js";
import { configFrom, type Command } from "./command.js";

export const updateCommand: Command = {
  usage: `Usage: ora-agent update [--check] [--to <version>] [--rollback]

Fetches the release manifest, checks its signature with the ORA release key built
into this agent, downloads the newest release (or --to <version>) and checks it
against the manifest's integrity hash, backs up this profile's database, then
installs it with npm install --global. The new version migrates the database when
the agent next starts. Never installs an older version than this one.

  --check        only say whether a newer version exists
  --to <v>       install this version from the manifest instead of the newest
  --rollback     return to the version before the last update and put its database
                 backup back (stop the agent first)

Only this profile's database (--profile, --state-dir) is backed up; another
profile's is not.
Environment: ORA_RELEASE_MANIFEST_URL, where the manifest is (default
${DEFAULT_MANIFEST_URL}).`,
  options: { check: { type: "boolean" }, to: { type: "string" }, rollback: { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags);
    const say = (line: string) => process.stdout.write(`ora-agent: ${line}\n`);
    if (flags.rollback) {
      if (flags.check || flags.to !== undefined) throw new UserError("--rollback takes neither --check nor --to");
      await rollback({ stateDir: config.stateDir, current: AGENT_VERSION, install: npmInstaller, say });
      return 0;
    }
    if (flags.to !== undefined && !isAgentVersion(String(flags.to))) throw new UserError(`--to takes a version such as 1.2.3, not "${flags.to}"`);
    ensureStateDir(config.stateDir);
    await update({
      stateDir: config.stateDir,
      current: AGENT_VERSION,
      manifestUrl: process.env.ORA_RELEASE_MANIFEST_URL?.trim() || DEFAULT_MANIFEST_URL,
      publicKey: publicKeyFrom(RELEASE_PUBLIC_KEY),
      install: npmInstaller,
      ...(typeof flags.to === "string" ? { to: flags.to } : {}),
      check: flags.check === true,
      say,
    });
    return 0;
  },
};
