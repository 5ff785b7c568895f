/**
 * Approvals in the owner's Discord DMs. A request that needs the owner (a guest's or a sub-admin's,
 * or the owner's own from Discord) is sent to the owner as a DM with the tool, risk, exact arguments,
 * who asked where, and what led to it, with Approve / Deny buttons whose custom ids carry only the
 * approval id. A click or `/approve <id>` counts only when the PC says so: the clicking user must be the
 * configured owner, in a DM, and the approval still pending; CRITICAL is never approved from Discord
 * (Approvals.decide refuses it too). Nothing in a DM is a secret: a CRITICAL approval's code stays on
 * the PC and the owner's paired devices.
 */
import type { Approval } from "@ora/protocol";
import {
  type APIActionRowComponent,
  type APIButtonComponentWithCustomId,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  ButtonStyle,
  ComponentType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type RESTPutAPIApplicationCommandsJSONBody,
} from "discord-api-types/v10";
import { ApprovalError, canonicalJson, type Requester, type Safety } from "../../safety/index.js";
import type { DiscordConfig } from "./config.js";
import type { CommandLine } from "../channel.js";
import { describeRequester } from "../../safety/requester.js";

export const BUTTON_PREFIX = "ora:";
const ARGS_SHOWN = 1200;

/** Whether the owner is sent a DM for this approval: every request but the owner's own from a paired device or the PC. */
export const dmsOwner = (approval: Approval) => approval.requester.via === "discord" || approval.requester.role !== "owner";

/** The DM's text and buttons for a pending approval. */
type Buttons = APIActionRowComponent<APIButtonComponentWithCustomId>;

export function approvalMessage(approval: Approval, cli: CommandLine): { content: string; components: Buttons[] } {
  const args = shown(approval.args);
  const who = describeRequester(approval.requester);
  const where = approval.requester.via === "discord" && approval.requester.session ? ` in <#${approval.requester.session}>` : "";
  const lines = [
    `**Approval needed — ${approval.risk}** · \`${approval.id}\``,
    `\`${approval.tool}\` asked by ${who}${where}`,
    `\`\`\`json\n${args}\n\`\`\``,
    `What led to it: ${clip(approval.origin, 300)}`,
    `Expires <t:${Math.floor(approval.expiresAt / 1000)}:R>; no decision means no.`,
  ];
  if (approval.risk === "CRITICAL") {
    lines.push(
      `CRITICAL is never approved from Discord: approve it on a paired owner device, or on the PC with \`${cli("approve --code <code>", approval.id)}\`.`,
    );
    return { content: lines.join("\n"), components: [row(button("Deny", "deny", approval.id, ButtonStyle.Danger))] };
  }
  return {
    content: lines.join("\n"),
    components: [row(button("Approve", "approve", approval.id, ButtonStyle.Success), button("Deny", "deny", approval.id, ButtonStyle.Danger))],
  };
}

/** The DM once the approval is no longer pending: the same summary, no buttons. */
export function settledMessage(approval: Approval): { content: string; components: Buttons[] } {
  const words: Record<Approval["status"], string> = {
    pending: "waiting",
    approved: "✅ approved",
    used: "✅ approved and run",
    denied: "❌ denied",
    expired: "⌛ expired without a decision (denied)",
  };
  return { content: `\`${approval.tool}\` (${approval.risk}) · \`${approval.id}\`: ${words[approval.status]}`, components: [] };
}

/** A button's custom id back to what it asks; null for anything else. */
export function readButton(customId: string): { verdict: "approve" | "deny"; id: string } | null {
  const match = /^ora:(approve|deny):([0-9a-z]{1,32})$/.exec(customId);
  return match ? { verdict: match[1] as "approve" | "deny", id: match[2]! } : null;
}

export interface Decider {
  user: string;
  /** Set when the click or command came from a server channel rather than a DM. */
  guild?: string;
  channel: string;
}

/** Decides an approval for a Discord user, when they may; says in words how it went. */
export function decideFromDiscord(
  safety: Safety,
  config: DiscordConfig,
  decider: Decider,
  id: string,
  verdict: "approve" | "deny",
): { ok: boolean; text: string } {
  const who: Requester = {
    device: `discord:${decider.user}`,
    role: decider.user === config.owner ? "owner" : "guest",
    user: decider.user === config.owner ? "owner" : `discord:${decider.guild ?? "dm"}:${decider.user}`,
    via: "discord",
    session: decider.channel,
  };
  const refuse = (status: string, text: string) => {
    safety.audit.record({ event: `approval.${verdict}`, who, status, detail: `${id} discord guild:${decider.guild ?? "dm"} channel:${decider.channel}` });
    return { ok: false, text };
  };
  if (decider.user !== config.owner) return refuse("forbidden", "Only the owner of this secretary decides its approvals.");
  if (decider.guild !== undefined) return refuse("forbidden", "Approvals are decided in a DM with me, not in a server.");
  try {
    const status = safety.approvals.decide(id, { verdict }, who);
    const approval = safety.approvals.get(id);
    return { ok: true, text: `${status === "approved" ? "✅ Approved" : "❌ Denied"}: \`${approval?.tool ?? "?"}\` · \`${id}\`` };
  } catch (error) {
    if (!(error instanceof ApprovalError)) throw error;
    const words: Record<ApprovalError["code"], string> = {
      not_found: `There is no approval \`${id}\`.`,
      forbidden: error.message,
      not_pending: `Nothing to do: ${error.message}.`,
      code_required: "CRITICAL is never approved from Discord: approve it on a paired owner device or on the PC.",
      wrong_code: "CRITICAL is never approved from Discord: approve it on a paired owner device or on the PC.",
      locked_out: error.message,
      passkey_required: "This approval needs a passkey (ORA_PASSKEY_FOR_HIGH=1): approve it on a paired device with its passkey, or on the PC.",
      passkey_refused: "This approval needs a passkey: approve it on a paired device with its passkey, or on the PC.",
    };
    return { ok: false, text: words[error.code] };
  }
}

/** The slash commands the bot offers: owner-only, in DMs only (checked on the PC whatever Discord shows). */
export const SLASH_COMMANDS: RESTPutAPIApplicationCommandsJSONBody = [
  ...(["approve", "deny"] as const).map(
    (name): RESTPostAPIChatInputApplicationCommandsJSONBody => ({
      name,
      description: `${name === "approve" ? "Approve" : "Deny"} a waiting request (owner only, in DMs)`,
      type: ApplicationCommandType.ChatInput,
      contexts: [InteractionContextType.BotDM],
      integration_types: [ApplicationIntegrationType.GuildInstall],
      options: [{ type: ApplicationCommandOptionType.String, name: "id", description: "the approval id shown in the request", required: true, max_length: 32 }],
    }),
  ),
  // lockdown.ts answers it.
  {
    name: "lockdown",
    description: "Stop everything: cancel what waits, refuse risky calls, close devices (owner only, in DMs)",
    type: ApplicationCommandType.ChatInput,
    contexts: [InteractionContextType.BotDM],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  },
];

function shown(args: unknown): string {
  // Backticks are written as \u0060 (the same JSON) so the arguments cannot end the code block.
  const json = JSON.stringify(JSON.parse(canonicalJson(args)), null, 2).replaceAll("`", "\\u0060");
  return json.length <= ARGS_SHOWN ? json : `${json.slice(0, ARGS_SHOWN)}\n… (${json.length} characters; all of them on the PC: ora-agent approvals)`;
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const row = (...components: APIButtonComponentWithCustomId[]): Buttons => ({ type: ComponentType.ActionRow, components });
const button = (label: string, verdict: string, id: string, style: ButtonStyle.Success | ButtonStyle.Danger): APIButtonComponentWithCustomId => ({
  type: ComponentType.Button,
  style,
  label,
  custom_id: `${BUTTON_PREFIX}${verdict}:${id}`,
});
