/**
 * Direct commands answer by key as well as in English words: a client with its own catalogue says
 * them in its reader's language (ChatNotice), the terminal and Discord keep `text`. One real agent on
 * the shared profile, whose guests are allowed no tool at all.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OraClient } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("chat notices", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let owner: OraClient;
  let guest: OraClient;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, newStateDir(), {
      ORA_PROFILE: "shared",
      ORA_SHARED_GUEST_ALLOWED_TOOLS: "",
      ORA_TOOL_ROOTS: mkdtempSync(join(tmpdir(), "ora-notices-")),
      ORA_TIME_ZONE: "Asia/Tokyo",
    });
    owner = await OraClient.connect({ identity: await provisionDevice(relay, agent, "owner", "owner") });
    guest = await OraClient.connect({ identity: await provisionDevice(relay, agent, "guest", "guest") });
  });
  afterAll(async () => {
    owner?.close();
    guest?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  const ask = (text: string, client = owner) => client.request("chat", { text });

  it("gives each direct command's answer its notice key, with the English text beside it", async () => {
    const cases: [string, string, RegExp][] = [
      ["/help", "help", /Direct commands/],
      ["What is on my calendar?", "no_model", /No language model is configured/],
      ["/approve 12345", "unknown_command", /Unknown command \/approve/],
      ["/run notes.add {oops", "run_args_not_json", /must be JSON/],
      ["/remind", "remind_usage", /Say when and what/],
      ["/remind someday maybe tidy up", "remind_unreadable", /could not read when/],
      ["/remind tomorrow 9am", "remind_what", /remind of what/],
      ["/reminders", "no_reminders", /No reminders yet/],
      ["/remind in 20 minutes tea", "reminder_set", /Reminder set/],
    ];
    for (const [text, key, words] of cases) {
      const answer = await ask(text);
      expect({ text, key: answer.notice?.key }).toEqual({ text, key });
      expect(answer.text).toMatch(words);
    }
    expect((await ask("/tools", guest)).notice).toEqual({ key: "no_tools" });
  });

  it("says with its params what a notice needs: the command, the tool, the reminder", async () => {
    expect((await ask("/frobnicate now")).notice).toEqual({ key: "unknown_command", params: { command: "/frobnicate" } });
    expect((await ask("/run notes.add {oops")).notice).toEqual({ key: "run_args_not_json", params: { tool: "notes.add" } });
    const set = await ask("/remind in 2 hours stretch");
    expect(set.notice).toMatchObject({ key: "reminder_set", params: { text: "stretch", kind: "once", timeZone: "Asia/Tokyo", at: set.schedule!.nextAt } });
  });

  it("names the tool, its risk, its task and its expiry when a call waits for the owner", async () => {
    const answer = await ask(`/run files.write ${JSON.stringify({ root: 0, path: "a.txt", content: "hi" })}`);
    expect(answer.task).toBeDefined();
    expect(answer.notice).toEqual({
      key: "waiting_for_approval",
      params: { tool: "files.write", risk: "HIGH", task: answer.task!.id, expiresAt: answer.task!.expiresAt },
    });
    expect(answer.text).toMatch(/waits for the owner's approval/);
  });

  it("answers a listing with its data instead of a notice", async () => {
    const tools = await ask("/tools");
    expect(tools.notice).toBeUndefined();
    expect(tools.tools?.length).toBeGreaterThan(0);
    const run = await ask("/run notes.list");
    expect(run.notice).toBeUndefined();
    expect(run.result).toEqual({ notes: [] });
  });
});
