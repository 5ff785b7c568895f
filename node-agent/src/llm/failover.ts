/**
 * Several providers behind one: each request goes to the first, and to the next only when a
 * provider fails retryably (5xx, 429, timeout, refused connection) before it produced anything.
 * Once an event has reached the caller, switching would show the user half of one answer and all
 * of another, so a later failure is rethrown as it is. A non-retryable failure (a refused key, a
 * bad request) is the configuration's problem and is rethrown at once rather than hidden.
 */
import { ProviderError, type ChatProvider, type ChatRequest, type StreamEvent } from "./types.js";

export class FailoverProvider implements ChatProvider {
  readonly id: string;
  readonly model: string;
  /** The provider that answered the latest request, once it has started to answer. */
  lastAnswered: string | undefined;

  constructor(private readonly providers: readonly ChatProvider[]) {
    const first = providers[0];
    if (!first) throw new Error("FailoverProvider needs at least one provider");
    this.id = providers.length === 1 ? first.id : `failover(${providers.map((p) => p.id).join(", ")})`;
    this.model = first.model;
  }

  async *stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    const failures: ProviderError[] = [];
    for (const provider of this.providers) {
      let started = false;
      try {
        for await (const event of provider.stream(request)) {
          if (!started) this.lastAnswered = provider.id;
          started = true;
          yield event.type === "done" ? { ...event, model: event.model ?? provider.id } : event;
        }
        return;
      } catch (error) {
        if (started || !(error instanceof ProviderError) || !error.retryable || request.signal.aborted) throw error;
        failures.push(error);
      }
    }
    throw new ProviderError(this.id, true, `every provider failed: ${failures.map((f) => f.message).join("; ")}`);
  }
}
