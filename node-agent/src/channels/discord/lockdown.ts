/**
 * `/lockdown` in the owner's Discord DM (a slash command, or the same words as a message): the
 * owner's stop-everything switch when the phone is lost or a device misbehaves. The same checks as
 * /approve: only the configured owner, only in a DM; anyone else is refused and audited. It goes
 * through the handler registry's `lockdown.enter`, as the owner on Discord, exactly as a device would.
 * Ending it is not offered here: only the PC, or a device with a passkey, ends a lockdown.
 */
import { METHODS } from "@ora/protocol";
import type { HandlerRegistry } from "../../handlers.js";
import type { Requester, Safety } from "../../safety/index.js";
import type { Decider } from "./approvals.js";
import type { DiscordConfig } from "./config.js";

export const LOCKDOWN_COMMAND = "lockdown";

export async function lockdownFromDiscord(
  handlers: HandlerRegistry,
  safety: Safety,
  config: DiscordConfig,
  decider: Decider,
  cli: (words: string) => string,
): Promise<{ ok: boolean; text: string }> {
  const owner = decider.user === config.owner;
  const who: Requester = {
    device: `discord:${decider.user}`,
    role: owner ? "owner" : "guest",
    user: owner ? "owner" : `discord:${decider.guild ?? "dm"}:${decider.user}`,
    via: "discord",
    session: decider.channel,
  };
  const refuse = (text: string) => {
    safety.audit.record({ event: "lockdown.enter", who, status: "forbidden", detail: `discord guild:${decider.guild ?? "dm"} channel:${decider.channel}` });
    return { ok: false, text };
  };
  if (!owner) return refuse("Only the owner of this secretary can lock it down.");
  if (decider.guild !== undefined) return refuse("Lockdown is asked for in a DM with me, not in a server.");
  const answer = await handlers.dispatch(
    "lockdown.enter",
    {},
    { requester: who, name: "the owner on Discord" },
    { signal: new AbortController().signal, emit: () => {} },
  );
  if (!answer.ok) return { ok: false, text: `That did not work (${answer.error.code}): ${answer.error.message}` };
  const result = METHODS["lockdown.enter"].result.parse(answer.result);
  const sessions =
    result.closedSessions === null
      ? "the relay will close the devices' sessions as soon as the PC reaches it"
      : `${result.closedSessions} device session(s) closed`;
  return {
    ok: true,
    text: `🔒 ${result.already ? "Already in lockdown" : "Lockdown"}: ${result.cancelledTasks} waiting task(s) cancelled, ${sessions}; risky calls and pairing are refused. End it at the PC with \`${cli("unlock")}\`.`,
  };
}
