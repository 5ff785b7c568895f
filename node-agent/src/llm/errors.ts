/**
 * One place that decides which provider failures fail over and what their messages may say. Both
 * SDKs raise errors that carry an HTTP status (or none, for network trouble); the adapters hand
 * them here. Messages never carry a key: providers echo keys back ("Incorrect API key provided:
 * sk-abc…"), so the key itself and anything shaped like one is blotted out.
 */
import { redact } from "../log.js";
import { ProviderError } from "./types.js";

/** 408, 409 (a conflicting request in flight), 429 and every 5xx (529 is Anthropic's "overloaded") are worth another provider. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const KEY_SHAPED = /\b(?:sk|rk|pk)-[A-Za-z0-9_.*-]{4,}/g;

/** Removes `secrets` and key-shaped words from text that may reach a log, a CLI or a device. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return redact(out.replace(KEY_SHAPED, "[redacted]"));
}

const HINT: Record<number, string> = {
  400: "the request was refused",
  401: "the API key was refused",
  403: "access denied",
  404: "not found (check the model name and base URL)",
  429: "rate limited",
};

/** What an adapter knows about a failure, whichever SDK raised it. */
export interface FailureFacts {
  /** The HTTP status, when the server answered. */
  status?: number;
  /** True when no HTTP answer came: refused, reset, DNS, the SDK's own timeout. */
  connection?: boolean;
  message: string;
}

export function providerFailure(provider: string, facts: FailureFacts, secrets: readonly string[]): ProviderError {
  // SDK messages start with the status ("401 Incorrect API key…"); we say it once, our way.
  const detail = scrub(facts.message.replace(/^\d{3}\s+/, ""), secrets).slice(0, 300);
  if (facts.status !== undefined) {
    const hint = HINT[facts.status] ?? (facts.status >= 500 ? "server error" : "request failed");
    return new ProviderError(provider, retryableStatus(facts.status), `${provider}: ${hint} (HTTP ${facts.status}): ${detail}`);
  }
  if (facts.connection) return new ProviderError(provider, true, `${provider}: connection failed: ${detail}`);
  // An error event inside an open stream (Anthropic's mid-stream "overloaded_error"): the server's trouble.
  return new ProviderError(provider, true, `${provider}: ${detail}`);
}

export function stalled(provider: string, ms: number): ProviderError {
  return new ProviderError(provider, true, `${provider}: no response for ${Math.round(ms / 100) / 10} s`);
}

export function endedEarly(provider: string): ProviderError {
  return new ProviderError(provider, true, `${provider}: the response ended before the model finished`);
}

/**
 * A connection that breaks while the body streams is not wrapped by either SDK: Node's fetch
 * (undici) throws TypeError("terminated") with the socket error as its cause.
 */
export function brokenStream(error: unknown): FailureFacts | undefined {
  if (!(error instanceof TypeError)) return undefined;
  const cause: unknown = error.cause;
  const fromSocket = cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === "string";
  if (error.message !== "terminated" && !fromSocket) return undefined;
  return { connection: true, message: cause instanceof Error ? `${error.message} (${cause.message})` : error.message };
}
