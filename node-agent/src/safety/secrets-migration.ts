/**
 * `ora-agent secrets migrate`: moves every secret of a profile between the OS keychain and the file.
 * Every copy is read back before anything is removed, so a failure midway leaves each secret where
 * it was (and perhaps a copy in the target too), never nowhere.
 */
import { UserError } from "../errors.js";
import { FILE_WHERE, keychainWhere, keychainProbe, type Secrets } from "./secrets.js";

export type StoreKind = "keychain" | "file";

export interface Migration {
  to: StoreKind;
  /** The names moved, sorted. */
  moved: string[];
}

export function migrateSecrets(secrets: Secrets, to: StoreKind): Migration {
  const keychain = secrets.keychain();
  if (!keychain) {
    const probe = keychainProbe();
    const why = probe.usable ? "" : ` (${probe.reason})`;
    const refusal = to === "keychain" ? "cannot take this profile's secrets" : "cannot be read, so no secret can be moved out of it";
    throw new UserError(`the ${keychainWhere()} is not usable here${why}: it ${refusal}. Nothing was moved`);
  }
  const [source, target] = to === "keychain" ? [secrets.file, keychain] : [keychain, secrets.file];
  const targetWhere = to === "keychain" ? keychainWhere() : FILE_WHERE;
  const moved = source.names();
  for (const name of moved) {
    // The value the agent uses now: where both stores hold a name, the chosen store's copy wins.
    const value = secrets.get(name)!;
    target.set(name, value);
    if (target.get(name) !== value) throw new UserError(`the copy of ${name} in the ${targetWhere} did not read back as stored; nothing was removed`);
  }
  for (const name of moved) source.delete(name);
  const left = source.names().filter((name) => moved.includes(name));
  if (left.length > 0) throw new UserError(`copied, but could not remove ${left.join(", ")} from the source; remove them by hand`);
  return { to, moved };
}
