/** Waits for the first push a client receives (from now on) that matches, so tests wait on events. */
import type { OraClient, Push } from "@ora/protocol";

export function nextPush<P extends Push>(client: OraClient, matches: (push: Push) => push is P, ms?: number): Promise<P>;
export function nextPush(client: OraClient, matches: (push: Push) => boolean, ms?: number): Promise<Push>;
export function nextPush(client: OraClient, matches: (push: Push) => boolean, ms = 10_000): Promise<Push> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching push within ${ms} ms`));
    }, ms);
    const stop = client.onPush((push) => {
      if (!matches(push)) return;
      clearTimeout(timer);
      stop();
      resolve(push);
    });
  });
}
