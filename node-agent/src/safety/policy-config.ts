/**
 * The knobs of the enforcement point, read once from the environment (flags are passed in as overrides)
 * into one object that is handed around: no module reads process.env on its own, so tests set policy
 * by building a PolicyConfig.
 */
import { UserError } from "../errors.js";
import type { Profile } from "../config.js";
import { RISKS, type Risk } from "./tool.js";

export interface PolicyConfig {
  profile: Profile;
  /** Tools a guest may see and call in the shared profile (ORA_SHARED_GUEST_ALLOWED_TOOLS). */
  sharedGuestAllowedTools: ReadonlySet<string>;
  /** CRITICAL tools exist in the shared profile only when this is set (ORA_SHARED_ALLOW_CRITICAL=1). */
  sharedAllowCritical: boolean;
  /** How long a HIGH approval may wait for a decision (ORA_APPROVAL_TTL_SEC); its task expires then. */
  approvalTtlMs: number;
  /** The same for CRITICAL approvals, shorter: their one-time code should not live long (ORA_APPROVAL_TTL_CRITICAL_SEC). */
  criticalApprovalTtlMs: number;
  /** Open (pending) approvals one requester may have at once (ORA_APPROVAL_MAX_PENDING). */
  maxPendingPerRequester: number;
  /** Wrong CRITICAL codes before the approval is denied and the decider locked out. */
  codeAttempts: number;
  /** How long a decider who guessed wrong codes may not decide CRITICAL approvals (ORA_CODE_LOCKOUT_SEC). */
  codeLockoutMs: number;
  /** Largest canonical JSON of a call's arguments, in bytes (ORA_MAX_ARGS_BYTES). */
  maxArgsBytes: number;
  /** Calls per minute per requester and risk level; also the burst (ORA_RATE_LOW, _MEDIUM, _HIGH, _CRITICAL). */
  ratePerMinute: Record<Risk, number>;
  /** Approving HIGH from a device needs a passkey assertion too, as CRITICAL always does (ORA_PASSKEY_FOR_HIGH=1). */
  passkeyForHigh: boolean;
}

export const DEFAULT_POLICY: Omit<PolicyConfig, "profile"> = {
  sharedGuestAllowedTools: new Set(),
  sharedAllowCritical: false,
  approvalTtlMs: 3_600_000,
  criticalApprovalTtlMs: 600_000,
  maxPendingPerRequester: 5,
  codeAttempts: 3,
  codeLockoutMs: 300_000,
  maxArgsBytes: 65_536,
  ratePerMinute: { LOW: 120, MEDIUM: 60, HIGH: 10, CRITICAL: 5 },
  passkeyForHigh: false,
};

export function policyConfig(profile: Profile, env: NodeJS.ProcessEnv = {}, overrides: Partial<PolicyConfig> = {}): PolicyConfig {
  const seconds = (name: string, fallbackMs: number) => (env[name] === undefined ? fallbackMs : positiveInt(env, name) * 1000);
  const count = (name: string, fallback: number) => (env[name] === undefined ? fallback : positiveInt(env, name));
  const ratePerMinute = { ...DEFAULT_POLICY.ratePerMinute };
  for (const risk of RISKS) ratePerMinute[risk] = count(`ORA_RATE_${risk}`, ratePerMinute[risk]);
  return {
    profile,
    sharedGuestAllowedTools: new Set(
      (env.ORA_SHARED_GUEST_ALLOWED_TOOLS ?? "")
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean),
    ),
    sharedAllowCritical: flag(env, "ORA_SHARED_ALLOW_CRITICAL"),
    approvalTtlMs: seconds("ORA_APPROVAL_TTL_SEC", DEFAULT_POLICY.approvalTtlMs),
    criticalApprovalTtlMs: seconds("ORA_APPROVAL_TTL_CRITICAL_SEC", DEFAULT_POLICY.criticalApprovalTtlMs),
    maxPendingPerRequester: count("ORA_APPROVAL_MAX_PENDING", DEFAULT_POLICY.maxPendingPerRequester),
    codeAttempts: DEFAULT_POLICY.codeAttempts,
    codeLockoutMs: seconds("ORA_CODE_LOCKOUT_SEC", DEFAULT_POLICY.codeLockoutMs),
    maxArgsBytes: count("ORA_MAX_ARGS_BYTES", DEFAULT_POLICY.maxArgsBytes),
    ratePerMinute,
    passkeyForHigh: flag(env, "ORA_PASSKEY_FOR_HIGH"),
    ...overrides,
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string): number {
  const text = env[name] ?? "";
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new UserError(`${name} must be a whole number above 0 (got "${text}")`);
  return value;
}

function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const text = env[name];
  if (text === undefined || text === "" || text === "0") return false;
  if (text === "1") return true;
  throw new UserError(`${name} must be 1 or 0 (got "${text}")`);
}
