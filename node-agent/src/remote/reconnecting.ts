/**
 * The terminal client's connection for long transfers: one client while it lives, a fresh one when
 * its socket closed (the relay restarted, the network blinked). Concurrent asks share one attempt.
 * A failed attempt after a working connection is reported as `node_offline`, which the transfer loop
 * (protocol/src/transfer.ts) treats as worth another try; the very first one keeps its own code.
 */
import { OraClient, OraError } from "@ora/protocol";
import { identityOf, readDevice, updateCredential } from "./device-file.js";

export interface Reconnecting {
  connect(): Promise<OraClient>;
  close(): void;
}

export function reconnecting(dir: string): Reconnecting {
  let client: OraClient | undefined;
  let attempt: Promise<OraClient> | undefined;
  let connectedOnce = false;
  let closed = false;
  return {
    connect() {
      if (closed) return Promise.reject(new OraError("cancelled", "the transfer ended"));
      if (client) return Promise.resolve(client);
      if (attempt) return attempt;
      const pending = (async () => {
        const device = readDevice(dir);
        if (!device) throw new OraError("unauthorized", "this device is no longer paired");
        try {
          const fresh = await OraClient.connect({ identity: identityOf(device), onCredentialRotated: (credential) => updateCredential(dir, credential) });
          if (!fresh.online) {
            fresh.close();
            throw new OraError("node_offline", "the PC is offline: is its agent running (ora-agent start on that PC)?");
          }
          fresh.onClose(() => {
            if (client === fresh) client = undefined;
          });
          connectedOnce = true;
          client = fresh;
          return fresh;
        } catch (error) {
          if (connectedOnce && error instanceof OraError && error.code !== "node_offline")
            throw new OraError("node_offline", `the connection to the relay dropped and could not be made again (${error.code})`);
          throw error;
        }
      })();
      attempt = pending;
      const settle = () => {
        if (attempt === pending) attempt = undefined;
      };
      pending.then(settle, settle);
      return pending;
    },
    close() {
      closed = true;
      client?.close();
      client = undefined;
    },
  };
}
