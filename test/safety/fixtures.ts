/** Shared test doubles for the safety core: named requesters, one tool per risk, a movable clock. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "../../node-agent/src/safety/index.js";
import type { Profile } from "../../node-agent/src/config.js";
import type { Approval } from "../../node-agent/src/safety/approvals.js";
import { createSafety, type Safety } from "../../node-agent/src/safety/index.js";
import type { PolicyConfig } from "../../node-agent/src/safety/policy-config.js";
import type { CallOptions } from "../../node-agent/src/safety/registry.js";
import type { Requester, Risk, Tool } from "../../node-agent/src/safety/tool.js";

export const alice: Requester = { device: "dev-alice", role: "owner", user: "alice", via: "relay", session: "s-alice" };
export const bob: Requester = { device: "dev-bob", role: "sub-admin", user: "bob", via: "relay", session: "s-bob" };
export const carol: Requester = { device: "dev-carol", role: "sub-admin", user: "carol", via: "relay", session: "s-carol" };
export const gus: Requester = { device: "dev-gus", role: "guest", user: "gus", via: "relay", session: "s-gus" };
export const gwen: Requester = { device: "dev-gwen", role: "guest", user: "gwen", via: "relay", session: "s-gwen" };
export const local: Requester = { device: "local", role: "owner", user: "owner", via: "local" };

export function tempStateDir(): string {
  return mkdtempSync(join(tmpdir(), "ora-safety-"));
}

export interface Ran {
  tool: string;
  args: unknown;
  by: Requester;
}

/** A tool that records its runs and echoes its arguments. */
export function echoTool(name: string, risk: Risk, guestVisible: boolean, ran: Ran[]): Tool<{ text: string }> {
  return {
    name,
    description: `echoes text (${risk})`,
    args: z.object({ text: z.string() }),
    risk,
    guestVisible,
    run: (args, context) => {
      ran.push({ tool: name, args, by: context.requester });
      return { echoed: args.text };
    },
  };
}

/** One tool per risk level, all visible to guests, plus `secret.low` which guests never see. */
export function standardTools(ran: Ran[]): Tool[] {
  return [
    echoTool("echo.low", "LOW", true, ran),
    echoTool("echo.medium", "MEDIUM", true, ran),
    echoTool("echo.high", "HIGH", true, ran),
    echoTool("echo.critical", "CRITICAL", true, ran),
    echoTool("secret.low", "LOW", false, ran),
  ];
}

export interface Harness {
  safety: Safety;
  ran: Ran[];
  stateDir: string;
  clock: { t: number; now(): number; advance(ms: number): void };
  /**
   * Calls a tool; `pending` resolves with the approval of the task the call became, if it waits on
   * one, and `result` with the tool's result once it ran (now, or as its task), or rejects with the
   * task's error code.
   */
  call(requester: Requester, name: unknown, args: unknown, options?: Partial<CallOptions>): { result: Promise<unknown>; pending: Promise<Approval> };
}

export interface HarnessOptions {
  profile?: Profile;
  policy?: Partial<PolicyConfig>;
  env?: NodeJS.ProcessEnv;
  stateDir?: string;
  tools?: (ran: Ran[]) => Tool[];
  clock?: Harness["clock"];
  rulesSuspended?: () => boolean;
}

export function newClock(start = Date.parse("2026-01-01T00:00:00Z")): Harness["clock"] {
  const clock = {
    t: start,
    now: () => clock.t,
    advance: (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

export function harness(options: HarnessOptions = {}): Harness {
  const ran: Ran[] = [];
  const stateDir = options.stateDir ?? tempStateDir();
  const clock = options.clock ?? newClock();
  const safety = createSafety({
    stateDir,
    profile: options.profile ?? "private",
    env: options.env ?? {},
    tools: (options.tools ?? standardTools)(ran),
    policy: options.policy ?? {},
    now: clock.now,
    ...(options.rulesSuspended ? { rulesSuspended: options.rulesSuspended } : {}),
  });
  return {
    safety,
    ran,
    stateDir,
    clock,
    call(requester, name, args, callOptions = {}) {
      let announce!: (approval: Approval) => void;
      const pending = new Promise<Approval>((resolve) => (announce = resolve));
      const result = safety.callTool(requester, name, args, { origin: "test", ...callOptions }).then(async (outcome) => {
        if (outcome.status === "done") return outcome.result;
        announce(safety.approvals.get(outcome.task.approval)!);
        const task = await safety.tasks.settled(outcome.task.id);
        if (task.state === "done") return task.result;
        throw Object.assign(new Error(task.error?.message ?? task.state), { code: task.error?.code, task });
      });
      result.catch(() => undefined);
      return { result, pending };
    },
  };
}
