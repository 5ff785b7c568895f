/**
 * Passkeys over the sealed session, for owner and sub-admin devices: register one on this device,
 * list and remove this device's own, and ask for a challenge bound to a purpose (an approval, an
 * unlock). The device names itself only through its authenticated session, never in the params.
 */
import { HandlerError, type HandlerRegistry } from "../handlers.js";
import { PasskeyError, type Passkeys } from "../passkeys/index.js";

export function registerPasskeyMethods(registry: HandlerRegistry, passkeys: Passkeys): void {
  registry
    .register("passkeys.create", async (params, { requester, name }) => ({
      options: await typed(() => passkeys.registrationOptions(requester, params?.name ?? name)),
    }))
    .register("passkeys.register", async ({ response, name: label }, { requester, name }) => ({
      passkey: await typed(() => passkeys.register(requester, response, label ?? name)),
    }))
    .register("passkeys.list", (_params, { requester }) => ({ passkeys: passkeys.list(requester) }))
    .register("passkeys.remove", ({ id }, { requester }) => ({ removed: passkeys.remove(requester, id) }))
    .register("passkeys.challenge", async (purpose, { requester }) => ({ options: await typed(() => passkeys.challenge(requester, purpose)) }));
}

/** A passkey refusal keeps its code and its words; anything else stays "failed". */
export async function typed<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof PasskeyError) throw new HandlerError(error.code, error.message);
    throw error;
  }
}
