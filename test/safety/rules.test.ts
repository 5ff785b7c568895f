/**
 * Standing rules at the enforcement point, against the real safety core, real SQLite and the real file
 * tools over real folders. A rule lets exactly the calls it names run without asking; every attempt in
 * the bypass table below must instead ask for an approval again (or be refused outright), and no row
 * may make a tool run more often than its setup did.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "../../node-agent/src/safety/index.js";
import type { Always } from "../../node-agent/src/safety/rules.js";
import { MAX_RULE_MS } from "../../node-agent/src/safety/rules.js";
import type { Requester, Tool } from "../../node-agent/src/safety/tool.js";
import { filesWrite } from "../../node-agent/src/tools/files.js";
import { tempDir } from "../tools/context.js";
import { alice, bob, carol, echoTool, gus, gwen, harness, local, type Harness, type HarnessOptions, type Ran } from "./fixtures.js";

const DAY = 86_400_000;

/** files.write as it is, recording each run. */
function recordedWrite(ran: Ran[]): Tool {
  return {
    ...filesWrite,
    run: (args, context) => {
      ran.push({ tool: filesWrite.name, args, by: context.requester });
      return filesWrite.run(args, context);
    },
  };
}

/** A HIGH stand-in for web.fetch that never touches the network: only its arguments matter here. */
function highFetch(ran: Ran[]): Tool<{ url: string }> {
  return {
    name: "web.fetch",
    description: "fetch (HIGH here)",
    args: z.object({ url: z.string() }),
    risk: "HIGH",
    guestVisible: true,
    run: (args, context) => {
      ran.push({ tool: "web.fetch", args, by: context.requester });
      return { status: 200 };
    },
  };
}

/** A HIGH tool whose name differs from files.write by one letter, with the same arguments. */
function writex(ran: Ran[]): Tool {
  return { ...recordedWrite(ran), name: "files.writex", run: (args, context) => void ran.push({ tool: "files.writex", args, by: context.requester }) };
}

const open: Harness[] = [];
afterEach(() => {
  for (const h of open.splice(0)) h.safety.close();
});

interface World {
  h: Harness;
  root: string;
  outside: string;
  tools: Tool[];
}

/** The shared profile (CRITICAL on), guests allowed the HIGH tools, two shared folders with notes/ in them. */
function world(extra: Partial<HarnessOptions> = {}): World {
  const root = tempDir("ora-rules-root-");
  const outside = tempDir("ora-rules-outside-");
  const second = tempDir("ora-rules-second-");
  mkdirSync(join(second, "notes"));
  mkdirSync(join(root, "notes"));
  mkdirSync(join(root, "notes2"));
  writeFileSync(join(root, "secret.txt"), "secret");
  symlinkSync(outside, join(root, "notes", "away"));
  const tools: Tool[] = [];
  const h = harness({
    profile: "shared",
    env: {
      ORA_SHARED_GUEST_ALLOWED_TOOLS: "files.write,files.writex,web.fetch,echo.high",
      ORA_SHARED_ALLOW_CRITICAL: "1",
      ORA_TOOL_ROOTS: `${root}${delimiter}${second}`,
    },
    tools: (ran) => {
      tools.push(recordedWrite(ran), writex(ran), highFetch(ran), echoTool("echo.high", "HIGH", true, ran), echoTool("echo.critical", "CRITICAL", true, ran));
      return tools;
    },
    ...extra,
  });
  open.push(h);
  return { h, root, outside, tools };
}

const write = (path: unknown) => ({ root: 0, path, content: "hello", mode: "overwrite" });

/** Asks as `who`, has `decider` approve "always", and waits for that first call to run. */
async function allowAlways(h: Harness, who: Requester, tool: string, args: unknown, always: Partial<Always> = {}, decider: Requester = local) {
  const call = h.call(who, tool, args);
  const approval = await call.pending;
  const made = await h.safety.rules.approveAlways(approval.id, { until: h.clock.now() + 7 * DAY, ...always }, decider);
  await call.result;
  return made.rule;
}

/** "ran" when the call ran at once, "asked" when it waits for an approval, else its error code. */
async function attempt(h: Harness, who: Requester, tool: unknown, args: unknown): Promise<string> {
  try {
    const outcome = await h.safety.callTool(who, tool, args, { origin: "rules test" });
    return outcome.status === "done" ? "ran" : "asked";
  } catch (error) {
    return (error as { code: string }).code;
  }
}

/** The error code of a rule operation, or "made". */
async function refusal(run: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await run();
    return "made";
  } catch (error) {
    return (error as { code: string }).code;
  }
}

const notesRule = (w: World) => allowAlways(w.h, gus, "files.write", write("notes/first.txt"), { scope: { path: "notes/" } });

describe("standing rules", () => {
  it("lets the same requester's later calls within the folder run at once, counted and audited", async () => {
    const w = world();
    const rule = await notesRule(w);
    expect(rule).toMatchObject({ tool: "files.write", scope: { path: "notes" }, uses: 0, revokedAt: null, createdBy: "local:local:owner:owner" });
    expect(await attempt(w.h, gus, "files.write", write("notes/second.txt"))).toBe("ran");
    expect(await attempt(w.h, gus, "files.write", write("./notes//sub-less.txt"))).toBe("ran");
    expect(readFileSync(join(w.root, "notes", "second.txt"), "utf8")).toBe("hello");
    expect(w.h.safety.rules.get(rule.id)).toMatchObject({ uses: 2, lastUsedAt: w.h.clock.now() });
    const events = w.h.safety.audit.tail(50).filter((row) => row.event.startsWith("rule."));
    expect(events.map((row) => [row.event, row.detail])).toEqual([
      ["rule.created", rule.id],
      ["rule.used", rule.id],
      ["rule.used", rule.id],
    ]);
  });

  it("approves the approval and makes the rule together, or neither", async () => {
    const w = world();
    const call = w.h.call(bob, "files.write", write("notes/x.txt"));
    const approval = await call.pending;
    // A sub-admin may not decide its own request: no approval, and no rule either.
    expect(await refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + DAY, scope: { path: "notes" } }, bob))).toBe("forbidden");
    expect(w.h.safety.approvals.get(approval.id)?.status).toBe("pending");
    expect(w.h.safety.rules.list(local, { all: true })).toEqual([]);
    expect(w.h.safety.audit.tail(1)[0]).toMatchObject({ event: "approval.approve", status: "forbidden", detail: approval.id });
  });

  it("lets a host rule cover any path on that host and nothing else", async () => {
    const w = world();
    await allowAlways(w.h, gus, "web.fetch", { url: "https://Example.com/a" }, { scope: { host: "example.com" } });
    expect(await attempt(w.h, gus, "web.fetch", { url: "https://example.com/b?q=1" })).toBe("ran");
    expect(await attempt(w.h, gus, "web.fetch", { url: "https://www.example.com/" })).toBe("asked");
  });

  it("without a scope, covers exactly the same arguments", async () => {
    const w = world();
    await allowAlways(w.h, gus, "echo.high", { text: "status" });
    expect(await attempt(w.h, gus, "echo.high", { text: "status" })).toBe("ran");
    expect(await attempt(w.h, gus, "echo.high", { text: "status " })).toBe("asked");
  });

  it("stops at once while rules are suspended, and applies again afterwards", async () => {
    let suspended = false;
    const w = world({ rulesSuspended: () => suspended });
    await notesRule(w);
    expect(await attempt(w.h, gus, "files.write", write("notes/a.txt"))).toBe("ran");
    suspended = true;
    expect(await attempt(w.h, gus, "files.write", write("notes/b.txt"))).toBe("asked");
    suspended = false;
    expect(await attempt(w.h, gus, "files.write", write("notes/c.txt"))).toBe("ran");
  });

  it("lets nothing run on a rule while the PC is in lockdown (refused), and applies again once it is lifted", async () => {
    const w = world();
    await notesRule(w);
    w.h.safety.lockdown.enter(alice);
    expect(await attempt(w.h, gus, "files.write", write("notes/locked.txt"))).toBe("locked_down");
    expect(existsSync(join(w.root, "notes", "locked.txt"))).toBe(false);
    w.h.safety.lockdown.exit(local);
    expect(await attempt(w.h, gus, "files.write", write("notes/after.txt"))).toBe("ran");
  });

  it("confines a folder rule's run to its folder when a folder is swapped for a symlink after the match", async () => {
    // The rule module asks `suspended()` once before resolving the call's path and once after: the
    // second time is the window between the match and the run, where the swap happens.
    let asked = 0;
    let armed = false;
    const w = world({
      rulesSuspended: () => {
        if (armed && ++asked === 2) {
          renameSync(join(w.root, "notes", "sub"), join(w.root, "notes", "sub-old"));
          symlinkSync(join(w.root, "private"), join(w.root, "notes", "sub"));
        }
        return false;
      },
    });
    mkdirSync(join(w.root, "notes", "sub"));
    mkdirSync(join(w.root, "private"));
    await notesRule(w);
    armed = true;
    expect(await attempt(w.h, gus, "files.write", write("notes/sub/x.txt"))).toBe("denied");
    expect(asked).toBe(2);
    expect(existsSync(join(w.root, "private", "x.txt"))).toBe(false);
  });

  it("lists every rule for the owner, its own for a sub-admin, none for a guest; revokes and moves ends", async () => {
    const w = world();
    const byOwner = await notesRule(w);
    const byBob = await allowAlways(w.h, gus, "echo.high", { text: "x" }, {}, bob);
    expect(w.h.safety.rules.list(alice).map((r) => r.id)).toEqual([byBob.id, byOwner.id]);
    expect(w.h.safety.rules.list(bob).map((r) => r.id)).toEqual([byBob.id]);
    expect(w.h.safety.rules.list(carol)).toEqual([]);
    expect(w.h.safety.rules.list(gus)).toEqual([]);
    expect(await refusal(() => w.h.safety.rules.revoke(byOwner.id, bob))).toBe("not_found");
    expect(await refusal(() => w.h.safety.rules.revoke(byBob.id, gus))).toBe("not_found");
    expect(await refusal(() => w.h.safety.rules.update(byOwner.id, w.h.clock.now() + 31 * DAY, local))).toBe("bad_params");
    expect(await refusal(() => w.h.safety.rules.update(byOwner.id, w.h.clock.now() - 1, local))).toBe("bad_params");
    expect(w.h.safety.rules.update(byOwner.id, w.h.clock.now() + 30 * DAY, local).expiresAt).toBe(w.h.clock.now() + MAX_RULE_MS);
    expect(w.h.safety.rules.update(byBob.id, w.h.clock.now() + DAY, bob).expiresAt).toBe(w.h.clock.now() + DAY);
    expect(w.h.safety.rules.revoke(byBob.id, bob).revokedAt).toBe(w.h.clock.now());
    expect(w.h.safety.rules.list(alice).map((r) => r.id)).toEqual([byOwner.id]);
    expect(w.h.safety.rules.list(alice, { all: true })).toHaveLength(2);
    expect(await refusal(() => w.h.safety.rules.update(byBob.id, w.h.clock.now() + DAY, bob))).toBe("bad_params");
  });
});

interface BypassRow {
  name: string;
  /** Makes the rule (or tries to) and then the attempt; resolves with the attempt's outcome. */
  attempt(w: World): Promise<string>;
  expected: string;
  /** Tool runs allowed in total (the setup's first, approved call included). */
  runs?: number;
}

const ROWS: BypassRow[] = [
  // Look-alike tool names.
  ...["files.write ", "Files.write", "files.write\u200b"].map(
    (name): BypassRow => ({
      name: `the look-alike tool name ${JSON.stringify(name)}`,
      attempt: async (w) => (await notesRule(w), attempt(w.h, gus, name, write("notes/x.txt"))),
      expected: "not_found",
      runs: 1,
    }),
  ),
  {
    name: "another tool whose name extends the rule's (files.writex)",
    attempt: async (w) => (await notesRule(w), attempt(w.h, gus, "files.writex", write("notes/x.txt"))),
    expected: "asked",
    runs: 1,
  },
  // Paths against the rule's folder.
  ...[
    "notes/../secret.txt",
    "notes2/x",
    "notes2",
    "./notes/../../x",
    "notes/away/x.txt",
    "/notes/x.txt",
    "notes%2F..%2Fsecret.txt",
    "notes%2fx.txt",
    "secret.txt",
  ].map(
    (path): BypassRow => ({
      name: `the path ${JSON.stringify(path)} against a rule for notes/`,
      attempt: async (w) => (await notesRule(w), attempt(w.h, gus, "files.write", write(path))),
      expected: "asked",
      runs: 1,
    }),
  ),
  {
    name: "the absolute path of a file inside the rule's folder",
    attempt: async (w) => (await notesRule(w), attempt(w.h, gus, "files.write", write(join(w.root, "notes", "x.txt")))),
    expected: "asked",
    runs: 1,
  },
  {
    name: "the same path in another shared folder",
    attempt: async (w) => (await notesRule(w), attempt(w.h, gus, "files.write", { ...write("notes/x.txt"), root: 1 })),
    expected: "asked",
    runs: 1,
  },
  // Other requesters.
  {
    name: "another guest using a guest's rule",
    attempt: async (w) => (await notesRule(w), attempt(w.h, gwen, "files.write", write("notes/x.txt"))),
    expected: "asked",
    runs: 1,
  },
  {
    name: "the same device under another role",
    attempt: async (w) => (await notesRule(w), attempt(w.h, { ...gus, role: "sub-admin" }, "files.write", write("notes/x.txt"))),
    expected: "asked",
    runs: 1,
  },
  {
    name: "the same device and user reaching the PC another way",
    attempt: async (w) => (await notesRule(w), attempt(w.h, { ...gus, via: "discord" }, "files.write", write("notes/x.txt"))),
    expected: "asked",
    runs: 1,
  },
  // Time and revocation.
  {
    name: "a rule after it expired",
    attempt: async (w) => {
      await notesRule(w);
      w.h.clock.advance(7 * DAY);
      return attempt(w.h, gus, "files.write", write("notes/x.txt"));
    },
    expected: "asked",
    runs: 1,
  },
  {
    name: "a rule after it was revoked",
    attempt: async (w) => {
      const rule = await notesRule(w);
      w.h.safety.rules.revoke(rule.id, local);
      return attempt(w.h, gus, "files.write", write("notes/x.txt"));
    },
    expected: "asked",
    runs: 1,
  },
  {
    name: "a rule that would outlive 30 days",
    attempt: async (w) => {
      const approval = await w.h.call(gus, "files.write", write("notes/x.txt")).pending;
      return refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + MAX_RULE_MS + 1, scope: { path: "notes" } }, local));
    },
    expected: "bad_params",
  },
  {
    name: "a rule that ends in the past",
    attempt: async (w) => {
      const approval = await w.h.call(gus, "files.write", write("notes/x.txt")).pending;
      return refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() }, local));
    },
    expected: "bad_params",
  },
  // CRITICAL.
  {
    name: "a rule for a CRITICAL call",
    attempt: async (w) => {
      const approval = await w.h.call(alice, "echo.critical", { text: "x" }).pending;
      return refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + DAY }, local));
    },
    expected: "forbidden",
  },
  {
    name: "a rule whose tool became CRITICAL after it was made",
    attempt: async (w) => {
      await allowAlways(w.h, alice, "echo.high", { text: "x" });
      w.tools.find((tool) => tool.name === "echo.high")!.risk = "CRITICAL";
      return attempt(w.h, alice, "echo.high", { text: "x" });
    },
    expected: "asked",
    runs: 1,
  },
  // Who may make one, and what it must cover.
  {
    name: "a rule made by a guest",
    attempt: async (w) => {
      const approval = await w.h.call(gus, "files.write", write("notes/x.txt")).pending;
      return refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + DAY, scope: { path: "notes" } }, gwen));
    },
    expected: "forbidden",
  },
  ...[
    { args: write("secret.txt"), scope: { path: "notes" } },
    { args: write("notes2/x.txt"), scope: { path: "notes" } },
    { args: write("notes/away/x.txt"), scope: { path: "notes" } },
    { args: write("notes/x.txt"), scope: { path: "notes/away" } },
    { args: write("notes/x.txt"), scope: { path: "../" } },
    { args: write("notes/x.txt"), scope: { host: "example.com" } },
  ].map(
    ({ args, scope }): BypassRow => ({
      name: `always with scope ${JSON.stringify(scope)} for a write of ${args.path}`,
      attempt: async (w) => {
        const approval = await w.h.call(gus, "files.write", args).pending;
        const code = await refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + DAY, scope }, local));
        expect(w.h.safety.approvals.get(approval.id)?.status).toBe("pending");
        return code;
      },
      expected: "bad_params",
    }),
  ),
  {
    name: "always with a host scope that does not cover the fetched URL",
    attempt: async (w) => {
      const approval = await w.h.call(gus, "web.fetch", { url: "https://example.com.evil.net/" }).pending;
      return refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + DAY, scope: { host: "example.com" } }, local));
    },
    expected: "bad_params",
  },
  {
    name: "always with a folder scope for a tool that is not a file tool",
    attempt: async (w) => {
      const approval = await w.h.call(gus, "echo.high", { text: "x" }).pending;
      return refusal(() => w.h.safety.rules.approveAlways(approval.id, { until: w.h.clock.now() + DAY, scope: { path: "" } }, local));
    },
    expected: "bad_params",
  },
  {
    name: "a rule after the owner takes the tool off the guest allowlist",
    attempt: async (w) => {
      await notesRule(w);
      const narrower = harness({
        stateDir: w.h.stateDir,
        clock: w.h.clock,
        profile: "shared",
        env: { ORA_SHARED_GUEST_ALLOWED_TOOLS: "", ORA_TOOL_ROOTS: w.root },
        tools: (ran) => [recordedWrite(ran)],
      });
      open.push(narrower);
      return attempt(narrower, gus, "files.write", write("notes/x.txt"));
    },
    expected: "not_found",
    runs: 1,
  },
];

describe("bypass attempts against standing rules", () => {
  for (const row of ROWS) {
    it(`withstands ${row.name} (${row.expected})`, async () => {
      const w = world();
      expect(await row.attempt(w)).toBe(row.expected);
      expect(w.h.ran).toHaveLength(row.runs ?? 0);
      expect(existsSync(join(w.outside, "x.txt"))).toBe(false);
      expect(readFileSync(join(w.root, "secret.txt"), "utf8")).toBe("secret");
    });
  }
});
