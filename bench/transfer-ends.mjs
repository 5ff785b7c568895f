/**
 * The transfer bench's ends in processes of their own (children of bench/lib/transfer.mjs), as a
 * real client and a real agent each have one: their garbage collection and CPU are their own, not
 * the bench's process, which hosts wrangler and its large heap.
 *
 *   node bench/transfer-ends.mjs peer <node relay url> <dir>
 *       The plain relay's answering end: serves pieces of files in <dir> and writes pieces into them.
 *   node bench/transfer-ends.mjs client
 *       Runs transfers, one JSON command per stdin line, one JSON answer per stdout line:
 *       {"op":"setup","identity":{relay,device,credential,secretKey,agentPublicKey},"anchor":url}
 *       {"op":"download","via":"ora"|"anchor","name","size"}            → {"ms","sha256"}
 *       {"op":"upload","via":"ora"|"anchor","name","path","sha256"}     → {"ms","task"?}
 *       A failure answers {"error":"…"}.
 *
 * The plain relay's wire (bench/node-relay.mjs adds and strips the "<n>|" prefix): a download asks
 * "get <name> <offset>" in text and gets u64 offset ‖ bytes in binary; an upload sends u16 name
 * length ‖ name ‖ u64 offset ‖ bytes in binary and gets "ok <offset>" in text. Both ends exit when
 * their stdin closes or on SIGTERM.
 */
import { download, fromBase64Url, OraClient, staticKey, upload } from "@ora/protocol";
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";

const PIECE = 256 * 1024;
const IN_FLIGHT = 4;
const BAR = "|".charCodeAt(0);
const nodeHasher = () => createHash("sha256");

process.on("SIGTERM", () => process.exit(0));
process.stdin.on("end", () => process.exit(0));

/**
 * The client's socket without permessage-deflate: a deployed relay refuses it (wrangler.toml,
 * no_web_socket_compression: ciphertext does not compress), but wrangler's local entry Worker still
 * accepts a client's offer, and Node's WebSocket always makes one. `ws` behaves as a WHATWG WebSocket
 * here, and the anchor's sockets do not deflate either.
 */
class NoDeflateWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** The anchor's answering end: what the ORA agent is to the ORA relay, without anything else. */
async function peer(url, dir) {
  const ws = await open(`${url.replace(/^http/, "ws")}/agent`);
  ws.on("message", (data, isBinary) => {
    const bar = data.indexOf(BAR);
    const to = data.subarray(0, bar + 1);
    if (!isBinary) {
      const [, name, at] = data.toString("utf8", bar + 1).split(" ");
      const offset = Number(at);
      const out = Buffer.allocUnsafe(to.length + 8 + PIECE);
      to.copy(out);
      out.writeBigUInt64BE(BigInt(offset), to.length);
      const fd = openSync(join(dir, name), "r");
      try {
        const n = readSync(fd, out, to.length + 8, PIECE, offset);
        ws.send(out.subarray(0, to.length + 8 + n));
      } finally {
        closeSync(fd);
      }
      return;
    }
    const nameLength = data.readUInt16BE(bar + 1);
    const name = data.toString("utf8", bar + 3, bar + 3 + nameLength);
    const offset = Number(data.readBigUInt64BE(bar + 3 + nameLength));
    const fd = openSync(join(dir, name), "r+");
    try {
      writeSync(fd, data, bar + 11 + nameLength, undefined, offset);
    } finally {
      closeSync(fd);
    }
    ws.send(`${to.toString("latin1")}ok ${offset}`);
  });
  process.stdout.write("ready\n");
}

/** Downloads `name` through the anchor, IN_FLIGHT pieces ahead, hashing in order; resolves with the hex digest. */
function anchorDownload(ws, name, size) {
  return new Promise((resolve) => {
    const hash = createHash("sha256");
    const waiting = new Map();
    let next = 0;
    let written = 0;
    const ask = () => {
      while (next < size && next < written + IN_FLIGHT * PIECE) {
        ws.send(`get ${name} ${next}`);
        next += PIECE;
      }
    };
    const onMessage = (data) => {
      waiting.set(Number(data.readBigUInt64BE(0)), data.subarray(8));
      for (let piece = waiting.get(written); piece; piece = waiting.get(written)) {
        waiting.delete(written);
        hash.update(piece);
        written += piece.length;
      }
      if (written >= size) {
        ws.off("message", onMessage);
        return resolve(hash.digest("hex"));
      }
      ask();
    };
    ws.on("message", onMessage);
    ask();
  });
}

/** Uploads a file through the anchor, IN_FLIGHT pieces ahead; resolves once every piece is written. */
function anchorUpload(ws, name, source) {
  const nameBytes = Buffer.from(name);
  return new Promise((resolve) => {
    let next = 0;
    let acked = 0;
    const send = async () => {
      while (next < source.size && next < acked + IN_FLIGHT * PIECE) {
        const at = next;
        next += PIECE;
        const bytes = await source.read(at, Math.min(PIECE, source.size - at));
        const head = Buffer.allocUnsafe(2 + nameBytes.length + 8);
        head.writeUInt16BE(nameBytes.length);
        nameBytes.copy(head, 2);
        head.writeBigUInt64BE(BigInt(at), 2 + nameBytes.length);
        ws.send(Buffer.concat([head, bytes]));
      }
    };
    const onMessage = () => {
      acked += PIECE;
      if (acked >= source.size) {
        ws.off("message", onMessage);
        return resolve();
      }
      void send();
    };
    ws.on("message", onMessage);
    void send();
  });
}

/** A file as an upload source, read piece by piece. */
function fileSource(path) {
  const fd = openSync(path, "r");
  return {
    source: {
      size: fstatSync(fd).size,
      read: async (offset, length) => {
        const buffer = Buffer.allocUnsafe(length);
        const n = readSync(fd, buffer, 0, length, offset);
        return buffer.subarray(0, n);
      },
    },
    close: () => closeSync(fd),
  };
}

async function client() {
  let ora;
  let anchor;
  let dir;
  const ops = {
    async setup({ identity, anchorUrl, folder }) {
      const { secretKey, ...rest } = identity;
      const key = staticKey(fromBase64Url(secretKey));
      ora = await OraClient.connect({ identity: { ...rest, key, agentPublicKey: fromBase64Url(identity.agentPublicKey) }, WebSocket: NoDeflateWebSocket });
      anchor = await open(`${anchorUrl.replace(/^http/, "ws")}/client`);
      dir = folder;
      return {};
    },
    async download({ via, name, size }) {
      const t = performance.now();
      const sha256 =
        via === "ora"
          ? (await download(() => ora, { path: name, write: () => {}, hasher: nodeHasher, inFlight: IN_FLIGHT })).sha256
          : await anchorDownload(anchor, name, size);
      return { ms: performance.now() - t, sha256 };
    },
    async upload({ via, name, path, sha256 }) {
      const file = fileSource(join(dir, name));
      try {
        const t = performance.now();
        if (via === "anchor") {
          await anchorUpload(anchor, path, file.source);
          return { ms: performance.now() - t };
        }
        const result = await upload(() => ora, { path, source: file.source, sha256, inFlight: IN_FLIGHT });
        const ms = performance.now() - t;
        // The staged upload waits for an approval that never comes: withdraw it, so the quota stays free.
        if (result.status === "waiting") await ora.request("tasks.cancel", { id: result.task.id }).catch(() => undefined);
        return { ms, status: result.status };
      } finally {
        file.close();
      }
    },
  };
  for await (const line of createInterface({ input: process.stdin })) {
    const command = JSON.parse(line);
    try {
      process.stdout.write(`${JSON.stringify(await ops[command.op](command))}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ error: String(error?.message ?? error) })}\n`);
    }
  }
}

const [role, ...args] = process.argv.slice(2);
if (role === "peer") await peer(args[0], args[1]);
else if (role === "client") await client();
else throw new Error("usage: transfer-ends.mjs peer <url> <dir> | client");
