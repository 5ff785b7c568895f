/**
 * This browser's pairing, kept in IndexedDB. IndexedDB (not localStorage) because it stores a
 * CryptoKey object as it is: a non-extractable private key stays non-extractable at rest too.
 */
import type { Role } from "@ora/protocol";
import type { StoredKey } from "./keys.js";

export interface SavedDevice {
  relay: string;
  node: string;
  device: string;
  name: string;
  role: Role;
  credential: string;
  agentPublicKey: Uint8Array;
  key: StoredKey;
}

const DB = "ora";
const STORE = "kv";
const DEVICE = "device";

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run<T>(mode: IDBTransactionMode, action: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = action(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

export const loadDevice = () => run<SavedDevice | undefined>("readonly", (s) => s.get(DEVICE));
export const saveDevice = (device: SavedDevice) => run("readwrite", (s) => s.put(device, DEVICE)).then(() => undefined);
export const forgetDevice = () => run("readwrite", (s) => s.delete(DEVICE)).then(() => undefined);
