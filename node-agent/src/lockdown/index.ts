/**
 * Lockdown across the agent: the `lockdown.*` methods, the relay's copy of the flag, and the push
 * that tells every open session. The state itself and what it stops on this PC are the safety core's
 * (safety/lockdown.ts); start.ts calls startLockdown once the connector exists and `sync()` each
 * time the connector connects.
 *
 * Who may end it: the PC's own command line (`ora-agent unlock`, the local owner) always; an owner
 * device only with a proof that `verifyExit` accepts (a passkey's assertion). Until a verifier is
 * given, every device's proof is refused: leaving lockdown needs a passkey.
 */
import type { LockdownStatus, Requester } from "@ora/protocol";
import type { NodeAccess } from "../device-admin.js";
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import type { Logger } from "../log.js";
import { clearLockdown, setLockdown } from "../relay/api.js";
import type { Safety } from "../safety/index.js";

/** Whether `proof` shows that `requester` (an owner device) may end the lockdown. */
export type ExitVerifier = (requester: Requester, proof: unknown) => boolean | Promise<boolean>;

/** The default: no device can end a lockdown until passkeys can prove who holds it. */
export const NEEDS_PASSKEY: ExitVerifier = () => false;

export interface LockdownOptions {
  safety: Safety;
  node: NodeAccess;
  handlers: HandlerRegistry;
  /** Tells every open session of the new state. */
  push(status: LockdownStatus): void;
  verifyExit?: ExitVerifier;
  log: Logger;
}

export interface LockdownRelay {
  /** Brings the relay in step with this PC's state (after a start, after each reconnect). */
  sync(): Promise<void>;
}

export function startLockdown(options: LockdownOptions): LockdownRelay {
  const { safety, node, handlers, log } = options;
  const verifyExit = options.verifyExit ?? NEEDS_PASSKEY;
  // A lift the relay has not heard of yet (it was unreachable): tried again on the next sync.
  let clearPending = false;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(step: () => Promise<T>): Promise<T> => {
    const next = chain.then(step, step);
    chain = next.catch(() => undefined);
    return next;
  };

  /** Sends the current state to the relay; the number of sessions it closed, or null when it could not be told. */
  const tellRelay = (): Promise<number | null> =>
    serial(async () => {
      const locked = safety.lockdown.active();
      try {
        if (locked) return (await setLockdown(node.relay, node.credential, safety.lockdown.keptDevice())).closedSessions;
        await clearLockdown(node.relay, node.credential);
        clearPending = false;
        return 0;
      } catch (error) {
        if (!locked) clearPending = true;
        log.warn(`the relay could not be told of the lockdown ${locked ? "entered" : "lifted"}; it is tried again as the agent reconnects`, {
          reason: error instanceof Error ? error.message : "error",
        });
        return null;
      }
    });

  safety.lockdown.onChange((status) => options.push(status));

  handlers
    .register("lockdown.enter", async (_params, { requester, name }) => {
      const entered = safety.lockdown.enter(requester, name);
      const closedSessions = await tellRelay();
      return { lockdown: entered.status, already: entered.already, cancelledTasks: entered.cancelledTasks, closedSessions };
    })
    .register("lockdown.exit", async ({ proof }, { requester }) => {
      if (requester.via !== "local" && !(await verifyExit(requester, proof))) {
        safety.audit.record({ event: "lockdown.exit", who: requester, status: "forbidden" });
        throw new HandlerError("forbidden", "ending a lockdown from a device needs a passkey; at the PC run: ora-agent unlock");
      }
      const wasLocked = safety.lockdown.active();
      const lockdown = safety.lockdown.exit(requester);
      if (wasLocked || clearPending) await tellRelay();
      return { lockdown };
    })
    .register("lockdown.status", () => ({ lockdown: safety.lockdown.status() }));

  return {
    async sync() {
      if (safety.lockdown.active() || clearPending) await tellRelay();
    },
  };
}
