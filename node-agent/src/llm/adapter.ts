/** What both SDK adapters share: their options and how a thrown error becomes the right one. */
import { brokenStream, providerFailure, stalled, type FailureFacts } from "./errors.js";
import { ProviderError } from "./types.js";
import type { Watchdog } from "./watchdog.js";

export interface AdapterOptions {
  /** The provider's name in configuration ("ollama"); the id is "<name>:<model>". */
  name: string;
  model: string;
  apiKey: string;
  /** The SDK's default host when left out. */
  baseURL?: string;
  /** How long the server may stay silent (before the first byte and between chunks). */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The caller's cancel wins (its reason is rethrown as is: not a provider failure, so no failover);
 * then our idle timeout; then what the SDK said. Errors no SDK raised are bugs and stay as they are.
 */
export function translate(
  error: unknown,
  context: { provider: string; caller: AbortSignal; dog: Watchdog; idleMs: number; secrets: readonly string[] },
  factsOf: (error: unknown) => FailureFacts | undefined,
): unknown {
  if (context.caller.aborted) return context.caller.reason;
  if (context.dog.stalled) return stalled(context.provider, context.idleMs);
  if (error instanceof ProviderError) return error;
  const facts = factsOf(error) ?? brokenStream(error);
  return facts ? providerFailure(context.provider, facts, context.secrets) : error;
}
