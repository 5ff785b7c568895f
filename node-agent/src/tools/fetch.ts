/**
 * web.fetch: GET one public http(s) URL. The agent runs on the user's PC, inside their LAN, so a URL is
 * a way to make it talk to the router, the NAS or a cloud metadata service (SSRF). Every hop is vetted:
 * the scheme, then every address the name resolves to, and the connection goes to the vetted address
 * (pinned through `lookup`), so a DNS answer that changes between the check and the connect is never
 * used. Redirects are followed by hand and vetted the same way.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { z } from "zod";
import { ToolError, type Tool } from "../safety/tool.js";
import { isPublicAddress } from "./address.js";

export interface ResolvedAddress {
  address: string;
  family: number;
}
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface WebFetchOptions {
  /** Which addresses may be connected to. The default allows public unicast only; tests widen it. */
  isAllowedAddress?: (address: string) => boolean;
  /** Name resolution, every address of a name; the system resolver by default. */
  resolve?: Resolver;
}

const systemResolve: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

const Args = z.object({
  url: z.string().min(1).max(4096),
  /** Lowers the configured body cap for this call; it can never raise it. */
  maxBytes: z.number().int().min(1).optional(),
});

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function webFetchTool(options: WebFetchOptions = {}): Tool<z.infer<typeof Args>> {
  const isAllowed = options.isAllowedAddress ?? isPublicAddress;
  const resolve = options.resolve ?? systemResolve;

  /** Resolves and checks a URL's host; returns the one address to connect to. */
  async function vet(url: URL, signal: AbortSignal): Promise<ResolvedAddress> {
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const family = isIP(host);
    let addresses: ResolvedAddress[];
    if (family !== 0) {
      addresses = [{ address: host, family }];
    } else {
      // RFC 6761: localhost names are this machine whatever DNS says.
      if (/(^|\.)localhost\.?$/i.test(host)) throw notPublic(host);
      try {
        addresses = await abortable(resolve(host), signal);
      } catch (err) {
        if (signal.aborted) throw err;
        throw new ToolError("failed", `could not resolve "${host}"`);
      }
    }
    // Any refused address refuses the name: the client must not get to pick among them.
    if (addresses.length === 0 || !addresses.every((a) => isAllowed(a.address))) throw notPublic(host);
    return addresses[0]!;
  }

  return {
    name: "web.fetch",
    description: "Fetch a public web page or file over http(s) with GET; returns status, content type and the body as text (truncated past the size cap).",
    args: Args,
    risk: "MEDIUM",
    guestVisible: true, // only when allowlisted for guests on the shared profile
    async run({ url, maxBytes }, { signal, config }) {
      const cap = Math.min(maxBytes ?? config.fetch.maxBytes, config.fetch.maxBytes);
      const deadline = AbortSignal.timeout(config.fetch.timeoutMs);
      const either = AbortSignal.any([signal, deadline]);
      let current = target(url);
      try {
        for (let hop = 0; ; hop++) {
          const pinned = await vet(current, either);
          const response = await get(current, pinned, either);
          const location = response.headers.location;
          if (REDIRECTS.has(response.statusCode ?? 0) && location !== undefined) {
            response.destroy();
            if (hop >= config.fetch.maxRedirects) throw new ToolError("failed", `more than ${config.fetch.maxRedirects} redirects`);
            current = target(location, current);
            continue;
          }
          const { body, truncated } = await readCapped(response, cap);
          const contentType = response.headers["content-type"] ?? "";
          return { url: current.href, status: response.statusCode ?? 0, contentType, text: decodeText(body, contentType), bytes: body.length, truncated };
        }
      } catch (err) {
        if (err instanceof ToolError) throw err;
        if (signal.aborted) throw new ToolError("failed", "the fetch was cancelled");
        if (deadline.aborted) throw new ToolError("timeout", `no complete answer within ${config.fetch.timeoutMs} ms`);
        const code = (err as NodeJS.ErrnoException | null)?.code;
        throw new ToolError("failed", `the fetch failed${code ? ` (${code})` : ""}`);
      }
    },
  };
}

/** Parses a URL (relative to `base` for a redirect) and refuses anything but plain http(s). */
function target(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new ToolError("bad_args", base ? "the server redirected to an invalid URL" : "not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ToolError("denied", `only http and https URLs are fetched, not ${url.protocol}`);
  if (url.username !== "" || url.password !== "") throw new ToolError("bad_args", "URLs with a user name or password are not fetched");
  return url;
}

function notPublic(host: string): ToolError {
  return new ToolError("denied", `"${host}" is not a public internet address`);
}

/**
 * A `lookup` that answers with the vetted address only. net.connect calls it with `all: true` when it
 * races address families (autoSelectFamily), and expects a list then.
 */
function pinnedLookup(pinned: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (e: null, list: ResolvedAddress[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
}

function get(url: URL, pinned: ResolvedAddress, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    // The URL keeps its hostname, so Host, SNI and certificate checks use the name, not the address.
    const request = client.request(url, {
      method: "GET",
      // identity: the size cap counts bytes on the wire, and no decompression bomb gets a chance.
      headers: { "user-agent": "ora-agent", accept: "*/*", "accept-encoding": "identity" },
      agent: false,
      lookup: pinnedLookup(pinned),
      signal,
    });
    request.once("response", resolve);
    request.once("error", reject);
    request.end();
  });
}

async function readCapped(response: IncomingMessage, cap: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (size + chunk.length > cap) {
      chunks.push(chunk.subarray(0, cap - size));
      response.destroy();
      return { body: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(chunks), truncated: false };
}

function decodeText(body: Buffer, contentType: string): string {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
