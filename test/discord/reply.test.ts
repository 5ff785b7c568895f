import { describe, expect, it } from "vitest";
import { MESSAGE_LIMIT, splitMessage, StreamedReply } from "../../node-agent/src/channels/discord/reply.js";

describe("splitMessage", () => {
  it("keeps a short answer whole", () => {
    expect(splitMessage("hello\nworld")).toEqual(["hello\nworld"]);
  });

  it("splits at line ends, never over the limit, and loses no text", () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${i} ${"x".repeat(30)}`);
    const pieces = splitMessage(lines.join("\n"));
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(MESSAGE_LIMIT);
    // Every piece ends where a line ended.
    expect(pieces.join("\n")).toBe(lines.join("\n"));
  });

  it("splits a line longer than a message at spaces, then anywhere", () => {
    const words = Array.from({ length: 600 }, (_, i) => `w${i}`).join(" ");
    const pieces = splitMessage(words, 500);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(500);
    expect(pieces.join(" ")).toBe(words);
    const blob = "y".repeat(1234);
    expect(splitMessage(blob, 500).map((p) => p.length)).toEqual([500, 500, 234]);
  });
});

describe("StreamedReply", () => {
  function sink() {
    const messages: { id: string; content: string; first: boolean; edits: number }[] = [];
    return {
      messages,
      create: async (content: string, first: boolean) => {
        messages.push({ id: String(messages.length + 1), content, first, edits: 0 });
        return String(messages.length);
      },
      edit: async (id: string, content: string) => {
        const message = messages.find((m) => m.id === id)!;
        message.content = content;
        message.edits++;
      },
    };
  }

  it("edits at most once per interval while text streams, and ends with the whole answer", async () => {
    const target = sink();
    const reply = new StreamedReply(
      target,
      (error) => expect.fail(String(error)),
      1000,
      () => 0,
    );
    for (let i = 0; i < 50; i++) reply.append(`word${i} `);
    await reply.finish();
    expect(target.messages).toHaveLength(1);
    expect(target.messages[0]!.first).toBe(true);
    expect(target.messages[0]!.content).toBe(Array.from({ length: 50 }, (_, i) => `word${i}`).join(" "));
    // 50 deltas arrived within one interval: one create, no edit storm.
    expect(target.messages[0]!.edits).toBeLessThanOrEqual(1);
  });

  it("continues a long answer in a second message and shows tool steps under the text", async () => {
    const target = sink();
    const reply = new StreamedReply(target, (error) => expect.fail(String(error)), 0);
    reply.step("files.write", "running…");
    reply.step("files.write", "waits for the owner's approval");
    await reply.finish(`${"a".repeat(1500)}\n${"b".repeat(1500)}`);
    expect(target.messages.map((m) => m.first)).toEqual([true, false]);
    expect(target.messages[0]!.content).toBe("a".repeat(1500));
    expect(target.messages[1]!.content).toBe(`${"b".repeat(1500)}\n\n\`files.write\` waits for the owner's approval`);
  });
});
