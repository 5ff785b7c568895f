/** The shapes several methods share: who asks, tools and their risk, approvals, devices. */
import * as z from "zod/mini";
import { DeviceId, Role } from "../frames.js";

export const RISKS = ["LOW", "MEDIUM", "HIGH", "CRITICAL"] as const;
export const Risk = z.enum(RISKS);
export type Risk = z.infer<typeof Risk>;

/** Who is asking, as the agent knows it from its own pairing records (never as a peer claims it). */
export const Requester = z.object({
  /** Device id for relay clients; "local" for the PC's own command line; "discord:<user id>" for Discord. */
  device: z.string(),
  role: Role,
  /** The person behind the device ("owner" for the PC's own user and all owner devices). */
  user: z.string(),
  /** How the request reached the PC: a paired device through the relay, this PC's command line, or a chat app. */
  via: z.enum(["relay", "local", "discord"]),
  /** The relay session; for Discord, the channel the message came from. */
  session: z.optional(z.string()),
});
export type Requester = z.infer<typeof Requester>;

export const ToolInfo = z.object({
  name: z.string(),
  description: z.string(),
  risk: Risk,
  /** True when a call waits for an owner's approval before it runs. */
  needsApproval: z.boolean(),
  /** JSON Schema of the arguments, for models that call tools. */
  parameters: z.unknown(),
});
export type ToolInfo = z.infer<typeof ToolInfo>;

export const APPROVAL_STATUSES = ["pending", "approved", "denied", "expired", "used"] as const;
export const ApprovalStatus = z.enum(APPROVAL_STATUSES);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;
export const ApprovalRisk = z.enum(["HIGH", "CRITICAL"]);
export type ApprovalRisk = z.infer<typeof ApprovalRisk>;

export const Approval = z.object({
  id: z.string(),
  tool: z.string(),
  /** The exact arguments the approval is for. */
  args: z.unknown(),
  argsHash: z.string(),
  risk: ApprovalRisk,
  requester: Requester,
  /** Which untrusted input led to the call, as the caller described it. */
  origin: z.string(),
  createdAt: z.number(),
  expiresAt: z.number(),
  status: ApprovalStatus,
  needsCode: z.boolean(),
});
export type Approval = z.infer<typeof Approval>;

/**
 * An approval as shown to a decider; `code` only on the PC's own command line, for pending CRITICAL
 * approvals; `needsPasskey` when approving it from this device needs a passkey assertion.
 */
export const ApprovalView = z.extend(Approval, { code: z.optional(z.string()), needsPasskey: z.optional(z.boolean()) });
export type ApprovalView = z.infer<typeof ApprovalView>;

/** The step a call streams while it waits for an owner's decision. */
export const ApprovalWait = z.object({
  step: z.literal("waiting_for_approval"),
  approval: z.object({ id: z.string(), tool: z.string(), risk: ApprovalRisk, expiresAt: z.number() }),
});
export type ApprovalWait = z.infer<typeof ApprovalWait>;

export const DEVICE_STATES = ["active", "revoked", "expired", "unpaired"] as const;
export const DeviceRow = z.object({
  id: DeviceId,
  name: z.string(),
  role: Role,
  state: z.enum(DEVICE_STATES),
  pairedAt: z.nullable(z.string()),
  lastSeen: z.nullable(z.string()),
});
export type DeviceRow = z.infer<typeof DeviceRow>;
