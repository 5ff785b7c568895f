/**
 * Fetching what an update needs: the manifest and tarballs, over https (or plain http from this very
 * machine, for a local release site and the tests), with a size cap and a deadline. Nothing fetched
 * is trusted for that: the manifest's signature and the tarball's integrity hash decide.
 */
import { UserError } from "../errors.js";

export type Fetch = typeof fetch;

const TIMEOUT_MS = 120_000;

/** An absolute URL (relative ones are resolved against `base`), refused unless https or loopback http. */
export function releaseUrl(text: string, base?: string): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new UserError(`"${text}" is not a URL`, 1);
  }
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new UserError(`${url.href}: releases are fetched over https (plain http only from this machine)`, 1);
  }
  return url;
}

/** The body of `url`, at most `maxBytes`; a UserError naming `what` when it cannot be had. */
export async function fetchBytes(url: URL, what: string, maxBytes: number, fetchImpl: Fetch = fetch): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "follow" });
  } catch (error) {
    const why = error instanceof Error && error.name === "TimeoutError" ? `no answer within ${TIMEOUT_MS / 1000} s` : causeOf(error);
    throw new UserError(`could not fetch ${what} from ${url.href}: ${why}`, 1);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new UserError(`could not fetch ${what} from ${url.href}: HTTP ${response.status}`, 1);
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new UserError(`${what} at ${url.href} is larger than ${maxBytes} bytes`, 1);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new UserError(`${what} at ${url.href} is larger than ${maxBytes} bytes`, 1);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
