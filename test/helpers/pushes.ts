/** Waits for the first push of an event a client receives from now on that matches, so tests wait on events. */
import type { EventData, EventName, OraClient } from "@ora/protocol";

export function nextPush<E extends EventName>(
  client: OraClient,
  event: E,
  matches: (data: EventData<E>) => boolean = () => true,
  ms = 10_000,
): Promise<EventData<E>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching ${event} push within ${ms} ms`));
    }, ms);
    const stop = client.onPush((push) => {
      if (push.event !== event || !matches(push.data as EventData<E>)) return;
      clearTimeout(timer);
      stop();
      resolve(push.data as EventData<E>);
    });
  });
}
