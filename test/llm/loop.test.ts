/**
 * The conversation loop's own limits, in process: the real OpenAI adapter against the fake server,
 * the real enforcement point and a real SQLite memory.
 */
import { referenceLine } from "@ora/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpenAIProvider } from "../../node-agent/dist/llm/openai.js";
import { Memory, MEMORY_MIGRATIONS } from "../../node-agent/dist/memory/index.js";
import { createSafety, z, type Safety, type Tool } from "../../node-agent/dist/safety/index.js";
import { runTurn, type TurnEvent } from "../../node-agent/dist/secretary/loop.js";
import { startFakeOpenAI, text, toolCall, type FakeLLM } from "../helpers/fake-llm.js";
import { local, tempStateDir } from "../safety/fixtures.js";

describe("the conversation loop", () => {
  let fake: FakeLLM;
  let safety: Safety;
  let memory: Memory;
  let started = 0;
  let aborted = 0;
  // A LOW tool that runs until it is cancelled.
  const slow: Tool<Record<string, never>> = {
    name: "slow.wait",
    description: "waits until cancelled",
    args: z.object({}).strict(),
    risk: "LOW",
    guestVisible: false,
    run: (_args, { signal }) =>
      new Promise((_resolve, reject) => {
        started++;
        signal.addEventListener("abort", () => {
          aborted++;
          reject(signal.reason);
        });
      }),
  };

  beforeEach(async () => {
    fake = await startFakeOpenAI();
    safety = createSafety({ stateDir: tempStateDir(), profile: "private", tools: [slow], migrations: [MEMORY_MIGRATIONS] });
    memory = new Memory(safety.db);
    started = aborted = 0;
  });
  afterEach(async () => {
    safety.close();
    await fake.close();
  });

  const provider = () => new OpenAIProvider({ name: "fake", model: "m", apiKey: "none", baseURL: fake.baseURL });
  const context = (signal = new AbortController().signal, events: TurnEvent[] = []) => ({
    requester: local,
    who: "the PC",
    signal,
    emit: (e: TurnEvent) => void events.push(e),
  });

  it("stops after the step limit when the model keeps calling tools", async () => {
    fake.script(toolCall("nothing_here", ["{}"]), toolCall("nothing_here", ["{}"]), toolCall("nothing_here", ["{}"]));
    const result = await runTurn({ text: "loop forever" }, context(), {
      provider: provider(),
      safety,
      memory,
      limits: { maxSteps: 2, maxTokens: 1000, historyMessages: 10 },
    });
    expect(result).toMatchObject({ stopped: "max_steps", steps: 2 });
    expect(fake.requests).toHaveLength(2);
  });

  it("stops when the turn's output tokens pass the limit", async () => {
    fake.script(
      { ...toolCall("nothing_here", ["{}"]), usage: { input: 10, output: 600 } },
      { ...toolCall("nothing_here", ["{}"]), usage: { input: 10, output: 600 } },
      text("never"),
    );
    const result = await runTurn({ text: "talk a lot" }, context(), {
      provider: provider(),
      safety,
      memory,
      limits: { maxSteps: 8, maxTokens: 1000, historyMessages: 10 },
    });
    expect(result).toMatchObject({ stopped: "max_tokens", steps: 2 });
  });

  it("cancels a pending tool and the turn when the caller aborts", async () => {
    fake.script(toolCall("slow_wait", ["{}"]), text("never"));
    const controller = new AbortController();
    const turn = runTurn({ text: "wait" }, context(controller.signal), { provider: provider(), safety, memory }).catch((e: unknown) => e);
    while (started === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort(new Error("cancelled by the client"));
    expect(await turn).toBeInstanceOf(Error);
    expect(aborted).toBe(1);
    expect(fake.requests).toHaveLength(1); // the model was not asked again
  });

  it("keeps the conversation in memory for the next turn, tool steps included", async () => {
    fake.script(text("first answer"));
    const first = await runTurn({ text: "remember this" }, context(), { provider: provider(), safety, memory });
    fake.script(text("second answer"));
    await runTurn({ text: "and now?", conversation: first.conversation }, context(), { provider: provider(), safety, memory });
    const sent = (fake.requests[1]!.body.messages as { role: string; content: string }[]).map((m) => [m.role, m.content]);
    expect(sent.slice(1)).toEqual([
      ["user", "remember this"],
      ["assistant", "first answer"],
      ["user", "and now?"],
    ]);
  });

  it("titles a conversation from its first words, or from the names of files sent alone", async () => {
    const files = [
      referenceLine({ root: "files", path: "ORA/写真.jpg", size: 6_000_000 }),
      referenceLine({ root: "files", path: "ORA/見積書.pdf", size: 120_000 }),
    ];
    fake.script(text("ok"), text("ok"));
    const alone = await runTurn({ text: files.join("\n") }, context(), { provider: provider(), safety, memory });
    const worded = await runTurn({ text: `これを要約して\n\n${files[1]}` }, context(), { provider: provider(), safety, memory });
    const titles = Object.fromEntries(memory.conversations(local.user).map((c) => [c.id, c.title]));
    expect(titles[alone.conversation]).toBe("写真.jpg 見積書.pdf");
    expect(titles[worded.conversation]).toBe("これを要約して 見積書.pdf");
  });
});
