/** Where the running agent listens for the local CLI: a socket in the state directory, a named pipe on Windows. */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";

export function controlSocketPath(stateDir: string): string {
  if (process.platform === "win32") {
    // Named pipes live in their own namespace, not the file system; the state dir's hash keeps profiles apart.
    const tag = createHash("sha256").update(resolve(stateDir)).digest("hex").slice(0, 16);
    return `\\\\.\\pipe\\ora-agent-${tag}`;
  }
  return join(stateDir, "control.sock");
}

/** sun_path holds 108 bytes on Linux and 104 on macOS, terminator included. */
export const MAX_SOCKET_PATH_BYTES = 103;
