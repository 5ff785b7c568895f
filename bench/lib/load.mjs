/**
 * The bench's client side: sessions that speak the ORA client protocol on raw `ws` sockets, and the
 * closed-loop load runs (N sessions × K requests in flight, a fixed number of round trips).
 *
 * Every target gets exactly the same client work: the same request frame, the same header parse of
 * every received frame, the same flow-control acks, and the same payload codec (lib/secure-session.mjs): sealed
 * sessions seal every request and open and check every answer, plain ones stringify / parse JSON.
 */
import { performance } from "node:perf_hooks";
import { encodeBinaryFrame } from "@ora/protocol";
import WebSocket from "ws";

/** 64 bytes of params: {"method":"echo","params":"<64 B>"} */
export const PARAMS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
export const BODY = { method: "echo", params: PARAMS };
const PONG = '{"t":"pong"}';

/** Opens a WebSocket; resolves once open, rejects on refusal or after `ms`. */
export function openSocket(url, { protocols = [], headers = {}, ms = 10_000, perMessageDeflate = true } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers, handshakeTimeout: ms, perMessageDeflate });
    const fail = (error) => {
      ws.terminate();
      reject(error);
    };
    ws.once("open", () => {
      ws.off("error", fail);
      resolve(ws);
    });
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      fail(new Error(`${url}: HTTP ${res.statusCode}`));
    });
    ws.once("error", fail);
  });
}

export class Session {
  /**
   * @param ws an open socket (for the relay: after its welcome)
   * @param windowBytes the relay's flow window; acks go out at least every windowBytes / 4
   * @param received bytes already received on this socket (the welcome, the handshake), counted for acks
  /**
   * @param codec how request payloads are made and answers read (lib/secure-session.mjs plainCodec / sealedCodec)
   * @param check true for an answer body that is the expected one; a false answer fails the run loudly
   */
  constructor(ws, windowBytes, received = 0, codec = undefined, check = (body) => body?.ok === true, { binary = false } = {}) {
    this.ws = ws;
    /** Requests go as binary data frames (a sealed codec and a relay whose welcome said bin), as the apps' do. */
    this.binary = binary;
    this.codec = codec;
    this.check = check;
    this.seqOf = new Map();
    this.lastAnswer = undefined;
    this.ackEvery = Math.max(1, Math.floor(windowBytes / 4));
    this.received = received;
    this.acked = 0;
    this.acks = 0;
    this.seq = 0;
    this.sentAt = new Map();
    this.onAnswer = null;
    this.onError = null;
    this.closed = new Promise((resolve) => ws.once("close", resolve));
    ws.on("message", (data, isBinary) => this.onMessage(data, isBinary));
    ws.on("error", (error) => this.onError?.(`socket error: ${error.message}`));
    ws.on("close", (code) => this.onError?.(`socket closed (${code})`));
  }

  request() {
    const id = `r${++this.seq}`;
    const started = performance.now();
    if (this.binary) {
      const { bytes, seq } = this.codec.encodeBytes();
      this.sentAt.set(id, started);
      this.seqOf.set(id, seq);
      return this.ws.send(encodeBinaryFrame({ t: "req", id }, bytes));
    }
    const { payload, seq } = this.codec.encode();
    this.sentAt.set(id, started);
    this.seqOf.set(id, seq);
    this.ws.send(`{"t":"req","id":"${id}"}\n${payload}`);
  }

  onMessage(data, isBinary) {
    const text = isBinary ? "" : data.toString();
    if (text !== PONG) {
      this.received += data.length;
      if (this.received - this.acked >= this.ackEvery) {
        this.ws.send(`{"t":"ack","bytes":${this.received}}`);
        this.acked = this.received;
        this.acks += 1;
      }
    }
    // A binary data frame: [u16 header length][header JSON][payload bytes] (docs/PROTOCOL.md).
    const headerEnd = isBinary ? 2 + ((data[0] << 8) | data[1]) : -1;
    const nl = isBinary ? headerEnd : text.indexOf("\n");
    const header = JSON.parse(isBinary ? data.toString("utf8", 2, headerEnd) : nl === -1 ? text : text.slice(0, nl));
    if (header.t === "res") {
      const at = this.sentAt.get(header.id);
      if (at === undefined) return this.onError?.(`answer for an unknown id ${header.id}`);
      const seq = this.seqOf.get(header.id);
      this.sentAt.delete(header.id);
      this.seqOf.delete(header.id);
      let body;
      try {
        body = isBinary ? this.codec.decodeBytes(data.subarray(headerEnd), seq) : this.codec.decode(text.slice(nl + 1), seq);
      } catch (error) {
        return this.onError?.(`answer ${header.id} cannot be read: ${error.message}: ${text.slice(nl + 1, nl + 201)}`);
      }
      this.lastAnswer = body;
      if (!this.check(body)) return this.onError?.(`answer ${header.id} is not the expected one: ${JSON.stringify(body).slice(0, 300)}`);
      this.onAnswer?.(this, performance.now() - at);
    } else if (header.t === "err") {
      this.onError?.(`relay error ${header.code}: ${header.message} (id ${header.id})`);
    }
    // node, push: not expected during a run and ignored
  }

  async close() {
    this.onError = null;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000, "bench done");
    else if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    await Promise.race([this.closed, new Promise((r) => setTimeout(r, 2000))]);
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

/**
 * A closed-loop run: each session keeps `inflight` requests outstanding until `total` round trips
 * have completed. Resolves with { total, seconds, rps, latencies (ms, sorted) }.
 */
export function run(sessions, { total, inflight, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const latencies = new Float64Array(total);
    let issued = 0;
    let done = 0;
    let finished = false;
    const finish = (error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const s of sessions) {
        s.onAnswer = null;
        s.onError = null;
      }
      if (error) return reject(error);
      const seconds = (performance.now() - started) / 1000;
      latencies.sort();
      resolve({ total, seconds, rps: total / seconds, latencies });
    };
    const timer = setTimeout(() => finish(new Error(`run timed out after ${timeoutMs} ms with ${done}/${total} round trips`)), timeoutMs);
    for (const s of sessions) {
      s.onAnswer = (session, ms) => {
        latencies[done++] = ms;
        if (done === total) return finish();
        if (issued < total) {
          issued++;
          session.request();
        }
      };
      s.onError = (message) => finish(new Error(message));
    }
    const started = performance.now();
    for (let k = 0; k < inflight && issued < total; k++) {
      for (const s of sessions) {
        if (issued >= total) break;
        issued++;
        s.request();
      }
    }
  });
}

/** The q-quantile of sorted values (nearest rank). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
