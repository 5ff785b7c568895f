/**
 * The conversations.* methods through the handler registry, over a real SQLite file: a person renames,
 * deletes and searches only their own conversations, and bad input gets a typed error.
 */
import type { AnswerPayload, MethodName, ParamsInput, Requester, Result } from "@ora/protocol";
import { describe, expect, it } from "vitest";
import { HandlerRegistry } from "../../node-agent/src/handlers.js";
import { registerConversationMethods } from "../../node-agent/src/methods/conversations.js";
import { tempMemory } from "../memory/helpers.js";

const ownerPhone: Requester = { device: "dev-owner-phone", role: "owner", user: "owner", via: "relay", session: "s-phone" };
const ownerLaptop: Requester = { device: "dev-owner-laptop", role: "owner", user: "owner", via: "relay", session: "s-laptop" };
const guest: Requester = { device: "dev-guest", role: "guest", user: "dev-guest", via: "relay", session: "s-guest" };

function setup() {
  const { memory, clock } = tempMemory();
  const registry = new HandlerRegistry();
  registerConversationMethods(registry, memory);
  const ask = <M extends MethodName>(who: Requester, method: M, params: ParamsInput<M>): Promise<AnswerPayload> =>
    registry.dispatch(method, params, { requester: who, name: who.device }, { signal: new AbortController().signal, emit: () => undefined });
  const ok = async <M extends MethodName>(who: Requester, method: M, params: ParamsInput<M>): Promise<Result<M>> => {
    const answer = await ask(who, method, params);
    if (!answer.ok) throw new Error(`${method}: ${answer.error.code} ${answer.error.message}`);
    return answer.result as Result<M>;
  };
  const code = async <M extends MethodName>(who: Requester, method: M, params: unknown) => {
    const answer = await ask(who, method, params as ParamsInput<M>);
    return answer.ok ? "ok" : answer.error.code;
  };
  return { memory, clock, ok, code };
}

describe("conversations.rename", () => {
  it("gives the conversation the new title on every owner device and keeps its place in the list", async () => {
    const { memory, clock, ok } = setup();
    const older = memory.startConversation("owner", "Book the train");
    memory.append("owner", older, { role: "user", content: "Book the train" });
    clock.now += 60_000;
    const newer = memory.startConversation("owner", "Plan dinner");
    memory.append("owner", newer, { role: "user", content: "Plan dinner" });
    const renamed = await ok(ownerPhone, "conversations.rename", { conversation: older, title: "  Trip to\nKyoto  " });
    expect(renamed).toEqual({ id: older, title: "Trip to Kyoto", updatedAt: Date.UTC(2026, 0, 1), messages: 1 });
    const { conversations } = await ok(ownerLaptop, "conversations.list", {});
    expect(conversations.map((c) => [c.id, c.title])).toEqual([
      [newer, "Plan dinner"],
      [older, "Trip to Kyoto"],
    ]);
  });

  it("answers not_found for someone else's conversation exactly as for an unknown id, and changes nothing", async () => {
    const { memory, ok, code } = setup();
    const owners = memory.startConversation("owner", "Salary talk");
    expect(await code(guest, "conversations.rename", { conversation: owners, title: "mine now" })).toBe("not_found");
    expect(await code(guest, "conversations.rename", { conversation: "no-such-id", title: "x" })).toBe("not_found");
    expect((await ok(ownerPhone, "conversations.list", {})).conversations[0]!.title).toBe("Salary talk");
  });

  it("refuses a blank, control-only or oversized title and a missing conversation with bad_params", async () => {
    const { memory, code } = setup();
    const id = memory.startConversation("owner", "x");
    for (const params of [
      { conversation: id, title: "   " },
      { conversation: id, title: "\u0000\u0007" },
      { conversation: id, title: "a".repeat(121) },
      { conversation: id },
      { title: "x" },
      { conversation: 7, title: "x" },
    ])
      expect(await code(ownerPhone, "conversations.rename", params), JSON.stringify(params)).toBe("bad_params");
  });
});

describe("conversations.delete", () => {
  it("deletes the requester's conversation with its messages, and says deleted:false the second time", async () => {
    const { memory, ok } = setup();
    const id = memory.startConversation("owner", "Dentist");
    memory.append("owner", id, { role: "user", content: "Move the dentist appointment" });
    expect(await ok(ownerLaptop, "conversations.delete", { conversation: id })).toEqual({ deleted: true });
    expect((await ok(ownerPhone, "conversations.list", {})).conversations).toEqual([]);
    expect((await ok(ownerPhone, "conversations.search", { query: "dentist" })).hits).toEqual([]);
    expect(await ok(ownerPhone, "conversations.delete", { conversation: id })).toEqual({ deleted: false });
  });

  it("never deletes another user's conversation: a guest gets deleted:false and the owner keeps it", async () => {
    const { memory, ok, code } = setup();
    const id = memory.startConversation("owner", "Dentist");
    expect(await ok(guest, "conversations.delete", { conversation: id })).toEqual({ deleted: false });
    expect((await ok(ownerPhone, "conversations.list", {})).conversations.map((c) => c.id)).toEqual([id]);
    expect(await code(ownerPhone, "conversations.delete", {})).toBe("bad_params");
    expect(await code(ownerPhone, "conversations.delete", { conversation: "x".repeat(65) })).toBe("bad_params");
  });
});

describe("conversations.search", () => {
  it("finds the requester's messages with [bracketed] matches, and nothing of anyone else's", async () => {
    const { memory, ok } = setup();
    const mine = memory.startConversation("owner", "Trip");
    memory.append("owner", mine, { role: "user", content: "Book the train to Kyoto for Friday" });
    memory.append("owner", mine, { role: "tool", content: "Kyoto timetable", name: "trains.find" });
    const theirs = memory.startConversation("dev-guest", "Guest trip");
    memory.append("dev-guest", theirs, { role: "user", content: "Kyoto hotels please" });
    const { hits } = await ok(ownerPhone, "conversations.search", { query: "kyoto" });
    expect(hits).toEqual([{ conversation: mine, title: "Trip", role: "user", snippet: "Book the train to [Kyoto] for Friday", at: Date.UTC(2026, 0, 1) }]);
    const forGuest = await ok(guest, "conversations.search", { query: "kyoto train" });
    expect(forGuest.hits.map((h) => h.conversation)).toEqual([]);
    expect((await ok(guest, "conversations.search", { query: "hotels" })).hits.map((h) => h.conversation)).toEqual([theirs]);
  });

  it("finds a Japanese word inside a sentence written without spaces", async () => {
    const { memory, ok } = setup();
    const id = memory.startConversation("owner", "明日の予定");
    memory.append("owner", id, { role: "user", content: "明日の会議は10時からです。資料を印刷してください。" });
    memory.append("owner", id, { role: "assistant", content: "承知しました。" });
    const { hits } = await ok(ownerPhone, "conversations.search", { query: "会議" });
    expect(hits).toEqual([
      { conversation: id, title: "明日の予定", role: "user", snippet: "明日の[会議]は10時からです。資料を印刷してください。", at: Date.UTC(2026, 0, 1) },
    ]);
    expect((await ok(ownerPhone, "conversations.search", { query: "会議 資料" })).hits).toHaveLength(1);
    expect((await ok(ownerPhone, "conversations.search", { query: "会議 夕食" })).hits).toEqual([]);
    expect((await ok(guest, "conversations.search", { query: "会議" })).hits).toEqual([]);
  });

  it("refuses an empty or oversized query and a bad limit with bad_params", async () => {
    const { code } = setup();
    for (const params of [{ query: "" }, { query: "   " }, { query: "a".repeat(201) }, { query: "x", limit: 0 }, { query: "x", limit: 101 }, {}])
      expect(await code(ownerPhone, "conversations.search", params), JSON.stringify(params)).toBe("bad_params");
  });
});
