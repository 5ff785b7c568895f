/** An approval as SQLite stores it (table approvals, safety/db.ts), and as the rest of the agent sees it. */
import type { Approval, ApprovalRisk, ApprovalStatus } from "@ora/protocol";
import { requesterFromColumns, type RequesterColumns } from "./requester.js";
import type { Requester } from "./tool.js";

export interface Row extends RequesterColumns {
  id: string;
  tool: string;
  args_json: string;
  args_hash: string;
  risk: ApprovalRisk;
  origin: string;
  created_at: number;
  expires_at: number;
  status: ApprovalStatus;
  code_hash: string | null;
  code_attempts: number;
}

/** The requester columns an approval is bound to, in the order the queries name them. */
export function binding(requester: Requester): [string, string, string, string] {
  return [requester.device, requester.role, requester.user, requester.via];
}

export function toApproval(row: Row): Approval {
  return {
    id: row.id,
    tool: row.tool,
    args: JSON.parse(row.args_json),
    argsHash: row.args_hash,
    risk: row.risk,
    requester: requesterFromColumns(row),
    origin: row.origin,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    status: row.status,
    needsCode: row.risk === "CRITICAL",
  };
}
