/** `ora-agent secrets [migrate --to keychain|file]`: where this profile's secrets are, and moving them. */
import { UserError } from "../errors.js";
import { migrateSecrets } from "../safety/secrets-migration.js";
import { FILE_WHERE, keychainWhere, openSecrets, type Secrets, type SecretsReport } from "../safety/secrets.js";
import { configFrom, type Command } from "./command.js";

const help = "ora-agent secrets --help";

export const secretsCommand: Command = {
  usage: `Usage: ora-agent secrets [--json]
       ora-agent secrets migrate --to keychain|file

Shows which store keeps this profile's secrets (the Node credential, the Discord
bot token) and the names in each, never a value. The store is picked by
ORA_SECRETS: keychain (the OS keychain: Secret Service on Linux, macOS
Keychain, Windows Credential Manager), file (secrets.json, readable only by
you) or auto (the default: the keychain when it answers, else the file).

  migrate --to keychain|file   move every secret to that store: each copy is
                               read back before the original is removed; the
                               command refuses when the keychain is not usable
  --json                       the report as JSON`,
  options: { json: { type: "boolean" }, to: { type: "string" } },
  async run({ flags, positionals }) {
    const [action, ...extra] = positionals;
    if (extra.length > 0) throw new UserError(`unexpected "${extra.join(" ")}" (${help})`);
    const config = configFrom(flags, { quiet: true });
    const secrets = openSecrets(config.stateDir);
    if (action === undefined) {
      if (flags.to !== undefined) throw new UserError(`--to goes with migrate: ora-agent secrets migrate --to keychain|file`);
      return show(secrets, flags.json === true);
    }
    if (action !== "migrate") throw new UserError(`unknown secrets action "${action}": use migrate, or nothing to see where they are (${help})`);
    if (flags.to !== "keychain" && flags.to !== "file") throw new UserError(`migrate where? --to keychain or --to file (${help})`);
    const { moved } = migrateSecrets(secrets, flags.to);
    const where = flags.to === "keychain" ? `the ${keychainWhere()}` : `${FILE_WHERE} ${secrets.report().file}`;
    if (moved.length === 0) process.stdout.write(`nothing to move: every secret of this profile is already in ${where}\n`);
    else process.stdout.write(`moved ${moved.length} secret${moved.length === 1 ? "" : "s"} to ${where}: ${moved.join(", ")}\n`);
    const report = secrets.report();
    if (report.store !== flags.to) {
      process.stdout.write(`new secrets still go to ${report.where} (ORA_SECRETS=${report.mode}); set ORA_SECRETS=${flags.to} to keep them there too\n`);
    }
    return 0;
  },
};

function show(secrets: Secrets, json: boolean): number {
  const report = secrets.report();
  const keychain = secrets.keychain();
  const inKeychain = keychain ? keychain.names() : null;
  const inFile = secrets.file.names();
  if (json) {
    const out = { ...report, names: { keychain: inKeychain, file: inFile } };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const list = (names: string[]) => (names.length > 0 ? names.join(", ") : "none");
  const lines = [
    `state dir     ${secrets.stateDir}`,
    `new secrets   ${secretsLine(report)}`,
    `in keychain   ${inKeychain ? list(inKeychain) : `unknown: the ${keychainWhere()} is not usable here`}`,
    `in file       ${list(inFile)} (${report.file})`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** "OS keychain (Secret Service)", "file (0600) in …; OS keychain (…) not usable: …": one line for status and doctor. */
export function secretsLine(secrets: SecretsReport): string {
  const file = secrets.store === "file" ? ` in ${secrets.file}` : "";
  const keychain = secrets.keychain.usable ? "" : `; OS keychain (${secrets.keychain.name}) not usable: ${secrets.keychain.reason}`;
  return `${secrets.where}${file}${keychain}${secrets.mode === "auto" ? "" : ` (ORA_SECRETS=${secrets.mode})`}`;
}

/** doctor's line: essential, since with ORA_SECRETS=keychain and no usable keychain nothing can be stored. */
export function secretsCheck(stateDir: string): { name: string; ok: boolean; essential: boolean; detail: string; fix?: string } {
  const secrets = openSecrets(stateDir);
  const report = secrets.report();
  const ok = secrets.chosen() !== null;
  return {
    name: "secrets",
    ok,
    essential: true,
    detail: secretsLine(report),
    ...(ok ? {} : { fix: "unlock the OS keychain (log in to the desktop), or set ORA_SECRETS=file" }),
  };
}
