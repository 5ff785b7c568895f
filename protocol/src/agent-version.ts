/**
 * Agent versions as the relay and the agent compare them: SemVer 2.0.0 — MAJOR.MINOR.PATCH, an
 * optional pre-release ("1.2.0-rc.1" comes before "1.2.0", §11) and optional build metadata, which
 * never changes the order (§10). Anything else is not a version. Strict on purpose: whether a Node is
 * refused hangs on this comparison, so "v1.2", "1.2" or "latest" are rejected rather than guessed at.
 */
import * as z from "zod/mini";

/** The regular expression suggested by semver.org, unchanged. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** What an agent puts before its version in its hello's `agent` field. */
export const AGENT_PRODUCT = "ora-agent";

interface Parsed {
  core: [number, number, number];
  pre: string[];
}

function parse(text: string): Parsed | null {
  if (text.length > 64) return null;
  const match = SEMVER.exec(text);
  if (!match) return null;
  const core = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  // Past 2^53 the numbers would compare wrongly; no real version gets there.
  if (!core.every(Number.isSafeInteger)) return null;
  return { core, pre: match[4] === undefined ? [] : match[4].split(".") };
}

export function isAgentVersion(text: string): boolean {
  return parse(text) !== null;
}

/** A version as it travels in frames and files. */
export const AgentVersion = z.string().check(z.maxLength(64), z.refine(isAgentVersion, "not a MAJOR.MINOR.PATCH version"));

/** Negative when a < b, 0 when they are equal in precedence, positive when a > b. Throws on a non-version. */
export function compareAgentVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) throw new RangeError(`not a version: "${x ? b : a}"`);
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! < y.core[i]! ? -1 : 1;
  // A release comes after all its pre-releases.
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    // Numeric identifiers compare as numbers and come before alphanumeric ones, which compare in ASCII order.
    if (pn && qn) return Number(p) < Number(q) ? -1 : 1;
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

/** The version in a hello's `agent` field ("ora-agent/1.2.3"), or null when it names none we can compare. */
export function agentVersionOf(agent: string | undefined): string | null {
  if (agent === undefined || !agent.startsWith(`${AGENT_PRODUCT}/`)) return null;
  const version = agent.slice(AGENT_PRODUCT.length + 1);
  return isAgentVersion(version) ? version : null;
}
