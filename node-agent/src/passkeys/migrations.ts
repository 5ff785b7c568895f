/** The passkeys table (public keys of devices' passkeys) and the outstanding challenges, single use. */
import type { ModuleMigrations } from "../safety/db.js";

export const PASSKEY_MIGRATIONS: ModuleMigrations = {
  module: "passkeys",
  steps: [
    {
      version: 1,
      name: "passkeys and their challenges",
      up: `
        CREATE TABLE passkeys (
          credential_id TEXT PRIMARY KEY,
          device TEXT NOT NULL,
          name TEXT NOT NULL,
          public_key BLOB NOT NULL,
          counter INTEGER NOT NULL,
          transports TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          last_used_at INTEGER
        ) STRICT;
        CREATE INDEX passkeys_device ON passkeys (device);
        CREATE TABLE passkey_challenges (
          challenge TEXT PRIMARY KEY,
          nonce TEXT NOT NULL,
          device TEXT NOT NULL,
          purpose TEXT NOT NULL CHECK (purpose IN ('register', 'approve', 'unlock')),
          subject TEXT NOT NULL,
          expires_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX passkey_challenges_device ON passkey_challenges (device, expires_at);
      `,
    },
  ],
};
