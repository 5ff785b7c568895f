/**
 * The local control channel's messages. Protocol flow: the CLI connects to the running agent's socket,
 * writes one JSON request and a newline, reads one JSON response line; the agent may serve several
 * requests on one connection, in order. Requests are acted on as the local owner (LOCAL_OWNER): only
 * the user who runs the agent can open the socket (0600 in a 0700 directory).
 */
import { z } from "zod";

/** A line longer than this is refused and the connection closed. */
export const MAX_LINE_BYTES = 65_536;

export const ControlRequest = z.discriminatedUnion("op", [
  z.object({ op: z.literal("approvals.list") }),
  z.object({
    op: z.literal("approvals.decide"),
    id: z.string().min(1).max(64),
    verdict: z.enum(["approve", "deny"]),
    code: z
      .string()
      .regex(/^\d{6}$/, "a code is 6 digits")
      .optional(),
  }),
  z.object({ op: z.literal("audit.tail"), limit: z.number().int().min(1).max(10_000).default(50) }),
]);
export type ControlRequest = z.input<typeof ControlRequest>;

export const CONTROL_ERROR_CODES = ["bad_request", "not_found", "forbidden", "not_pending", "code_required", "wrong_code", "locked_out", "failed"] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

export const ControlResponse = z.union([
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.enum(CONTROL_ERROR_CODES), message: z.string() }) }),
]);
export type ControlResponse = z.infer<typeof ControlResponse>;

const RequesterShape = z.object({
  device: z.string(),
  role: z.enum(["owner", "sub-admin", "guest"]),
  user: z.string(),
  via: z.enum(["relay", "local"]),
  session: z.string().optional(),
});

/** What `approvals.list` returns: the pending approvals, with the code of each CRITICAL one. */
export const ApprovalList = z.array(
  z.object({
    id: z.string(),
    tool: z.string(),
    args: z.unknown(),
    argsHash: z.string(),
    risk: z.enum(["HIGH", "CRITICAL"]),
    requester: RequesterShape,
    origin: z.string(),
    createdAt: z.number(),
    expiresAt: z.number(),
    status: z.string(),
    needsCode: z.boolean(),
    code: z.string().optional(),
  }),
);
export type ApprovalList = z.infer<typeof ApprovalList>;

export const DecideResult = z.object({ id: z.string(), status: z.string() });
