/**
 * The Discord channel end to end: the real agent process connects to a fake Discord on 127.0.0.1
 * (real REST v10 routes and gateway) with the real @discordjs libraries, and answers with a fake
 * model — guests in servers, the owner's DMs with approval buttons, and everything that must be
 * refused.
 */
import Database from "better-sqlite3";
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_TOKEN_SECRET, writeDiscordConfig } from "../../node-agent/src/channels/discord/config.js";
import { FileSecretStore } from "../../node-agent/src/safety/secret-store.js";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { type DiscordUser, type FakeDiscord, type SentMessage, startFakeDiscord } from "../helpers/fake-discord.js";
import { type FakeLLM, startFakeOpenAI, text, toolCall } from "../helpers/fake-llm.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const SERVER_A = "710000000000000001";
const SERVER_B = "710000000000000002";
const CHANNEL_A = "720000000000000001";
const CHANNEL_B = "720000000000000002";
const OPEN_CHANNEL = "720000000000000003";
const SUB_ADMINS = "730000000000000001";
const owner: DiscordUser = { id: "740000000000000001", username: "owner" };
const alice: DiscordUser = { id: "740000000000000002", username: "alice" };
const bob: DiscordUser = { id: "740000000000000003", username: "bob" };
const stranger: DiscordUser = { id: "740000000000000004", username: "stranger" };
const flooder: DiscordUser = { id: "740000000000000005", username: "flooder" };

type Message = { role: string; content?: string };
const modelSaw = (llm: FakeLLM, n: number) => JSON.stringify(llm.requests[n]!.body.messages as Message[]);

describe("the secretary on Discord", () => {
  let relay: Relay;
  let discord: FakeDiscord;
  let llm: FakeLLM;
  let agent: AgentProcess;
  const stateDir = newStateDir();
  const root = realpathSync(mkdtempSync(join(tmpdir(), "ora-discord-root-")));

  beforeAll(async () => {
    [relay, discord, llm] = await Promise.all([startRelay(), startFakeDiscord(), startFakeOpenAI()]);
    writeFileSync(
      join(stateDir, "providers.json"),
      JSON.stringify({ providers: [{ name: "fake", type: "openai", baseURL: llm.baseURL, model: "m", apiKey: "none" }] }),
    );
    writeDiscordConfig(stateDir, {
      owner: owner.id,
      guilds: [SERVER_A, SERVER_B],
      channels: [OPEN_CHANNEL],
      subAdminRole: SUB_ADMINS,
      bot: { id: discord.bot.id, name: discord.bot.username, application: discord.bot.id },
      limits: { perUserPerMinute: 20, perGuildPerMinute: 200 },
    });
    new FileSecretStore(stateDir).set(DISCORD_TOKEN_SECRET, discord.token);
    agent = await startAgent(relay.url, stateDir, {
      ORA_PROFILE: "shared",
      ORA_DISCORD_API: discord.api,
      ORA_TOOL_ROOTS: root,
      ORA_SHARED_GUEST_ALLOWED_TOOLS: "time.now,files.write,notes.add,notes.list",
      ORA_SHARED_ALLOW_CRITICAL: "1",
    });
    await discord.ready();
  });
  afterAll(async () => {
    await agent?.stop();
    await Promise.all([discord?.close(), llm?.close(), relay?.dispose()]);
  });
  afterEach(() => llm.reset());

  /** The bot's reply to message `id`, once it reads `expected` (the reply may grow by edits first). */
  const replyTo = (id: string, expected: string | RegExp) =>
    discord.waitForMessage((m) => m.replyTo === id && (typeof expected === "string" ? m.content === expected : expected.test(m.content)));
  const inChannel = (channel: string, expected: RegExp) => discord.waitForMessage((m) => m.channel === channel && expected.test(m.content));
  const approvalDm = (tool: string) =>
    discord.waitForMessage((m) => m.channel === discord.dmChannel(owner.id) && m.content.includes(`\`${tool}\``) && m.components.length > 0);
  const buttonOf = (message: SentMessage, label: string) =>
    (message.components as { components: { label: string; custom_id: string }[] }[]).flatMap((row) => row.components).find((b) => b.label === label)!.custom_id;
  const approvalIdOf = (message: SentMessage) => /· `([0-9a-z]+)`/.exec(message.content)![1]!;

  it("connects with only the intents it uses and offers /approve, /deny and /lockdown", async () => {
    // Guild messages, DMs, and message content (one channel is answered without a mention).
    expect(discord.identifies.at(-1)!.intents).toBe((1 << 9) | (1 << 12) | (1 << 15));
    const put = await discord.waitForRequest((r) => r.method === "PUT" && r.path === `/applications/${discord.bot.id}/commands`);
    expect((put.body as { name: string; contexts: number[] }[]).map((c) => [c.name, c.contexts])).toEqual([
      ["approve", [1]],
      ["deny", [1]],
      ["lockdown", [1]],
    ]);
  });

  it("answers a guest's mention with a streamed reply, typing while it works", async () => {
    llm.script({ stream: [{ text: "Hello " }, { text: "from ", delayMs: 300 }, { text: "ORA.", delayMs: 1500 }] });
    const id = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "hi there", mentionsBot: true });
    const reply = await replyTo(id, "Hello from ORA.");
    // The first words were posted before the model finished, then the message was edited.
    expect(reply.edits).toBeGreaterThanOrEqual(1);
    expect(discord.typing(CHANNEL_A)).toBeGreaterThanOrEqual(1);
    // The mention was taken off what the model read.
    expect(modelSaw(llm, 0)).toContain('"content":"hi there"');
  });

  it("answers every message in a configured channel, and nothing unmentioned elsewhere", async () => {
    const open = discord.say({ author: alice, guild: SERVER_A, channel: OPEN_CHANNEL, content: "/help" });
    await replyTo(open, /Direct commands/);
    const before = discord.requests.length;
    const ignored = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "/help" });
    const marker = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "/help", mentionsBot: true });
    await replyTo(marker, /Direct commands/);
    expect(discord.requests.slice(before).some((r) => JSON.stringify(r.body ?? "").includes(ignored))).toBe(false);
  });

  it("runs a tool the shared profile allows guests, and refuses one it does not", async () => {
    const id = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "/run time.now", mentionsBot: true });
    // A tool's JSON result is shown as a code block.
    await replyTo(id, /^```json\n\{[\s\S]*"iso"[\s\S]*\n```$/);
    const denied = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: '/run files.read {"path":"x"}', mentionsBot: true });
    await replyTo(denied, /not_found|no such tool/);
  });

  it("sends a guest's HIGH request to the owner's DMs; the owner's click runs it and the guest's channel is told", async () => {
    llm.script(toolCall("files_write", ['{"path":"from-discord.txt","content":"hello from alice"}']), text("I asked the owner."), text("Your file is saved."));
    const id = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "save hello to a file", mentionsBot: true });
    await replyTo(id, /`files\.write` waits for the owner's approval \(task `t/);
    const dm = await approvalDm("files.write");
    expect(dm.content).toContain("HIGH");
    expect(dm.content).toContain("from-discord.txt");
    expect(dm.content).toContain(`Discord user ${alice.id} in server ${SERVER_A}`);
    expect(dm.content).toContain("What led to it");
    expect(existsSync(join(root, "from-discord.txt"))).toBe(false);

    const { answer } = await discord.click({ user: owner, channel: discord.dmChannel(owner.id), message: dm.id, customId: buttonOf(dm, "Approve") });
    expect(answer.type).toBe(7); // the DM itself changes: no buttons left to press
    expect(answer.data?.components).toEqual([]);
    await inChannel(CHANNEL_A, new RegExp(`<@${alice.id}> \`files\\.write\` \\(task \`t[0-9a-z]+\`\\): done`));
    expect(readFileSync(join(root, "from-discord.txt"), "utf8")).toBe("hello from alice");
    // The conversation went on in the channel it came from.
    await inChannel(CHANNEL_A, /^Your file is saved\.$/);
  });

  it("refuses a guest pressing the owner's button, a guest's /approve, a replayed click, and /approve in a server", async () => {
    const asked = discord.say({
      author: bob,
      guild: SERVER_A,
      channel: CHANNEL_A,
      content: '/run files.write {"path":"bob.txt","content":"b"}',
      mentionsBot: true,
    });
    await replyTo(asked, /waits for the owner's approval/);
    const dm = await approvalDm("files.write");
    const approvalId = approvalIdOf(dm);

    const pressed = await discord.click({ user: bob, channel: discord.dmChannel(owner.id), message: dm.id, customId: buttonOf(dm, "Approve") });
    expect(pressed.answer).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining("Only the owner") } });
    const slash = await discord.command({ user: bob, guild: SERVER_A, channel: CHANNEL_A, name: "approve", options: { id: approvalId } });
    expect(slash.answer).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining("Only the owner") } });
    const typed = discord.say({ author: bob, guild: SERVER_A, channel: CHANNEL_A, content: `/approve ${approvalId}`, mentionsBot: true });
    await replyTo(typed, /Unknown command \/approve/);
    const inServer = await discord.command({ user: owner, guild: SERVER_A, channel: CHANNEL_A, name: "approve", options: { id: approvalId } });
    expect(inServer.answer.data?.content).toContain("in a DM");
    expect(existsSync(join(root, "bob.txt"))).toBe(false);

    // The owner denies; the same click delivered again changes nothing and gets no answer.
    const deny = await discord.click({ user: owner, channel: discord.dmChannel(owner.id), message: dm.id, customId: buttonOf(dm, "Deny") });
    expect(deny.answer.type).toBe(7);
    await inChannel(CHANNEL_A, new RegExp(`<@${bob.id}> .*the owner said no`));
    expect(await discord.replay(deny.interaction, 1_500)).toBeNull();
    // A fresh click on the decided approval: the PC says so, and nothing runs.
    const late = await discord.click({ user: owner, channel: discord.dmChannel(owner.id), message: dm.id, customId: buttonOf(dm, "Approve") });
    expect(late.answer.data?.content).toMatch(/Nothing to do: approval [0-9a-z]+ is already denied/);
    expect(existsSync(join(root, "bob.txt"))).toBe(false);
  });

  it("never approves CRITICAL from Discord: no Approve button, and /approve is refused", async () => {
    const asked = discord.say({ author: owner, channel: discord.dmChannel(owner.id), content: '/run run.program {"argv":["true"]}' });
    await replyTo(asked, /waits for the owner's approval/);
    const dm = await discord.waitForMessage((m) => m.channel === discord.dmChannel(owner.id) && m.content.includes("CRITICAL") && m.components.length > 0);
    const labels = (dm.components as { components: { label: string }[] }[]).flatMap((row) => row.components.map((b) => b.label));
    expect(labels).toEqual(["Deny"]);
    expect(dm.content).toContain("never approved from Discord");
    expect(dm.content).not.toMatch(/\b\d{6}\b/); // the one-time code stays on the PC
    const id = approvalIdOf(dm);
    const slash = await discord.command({ user: owner, channel: discord.dmChannel(owner.id), name: "approve", options: { id } });
    expect(slash.answer.data?.content).toContain("never approved from");
    // A forged button with the approve verdict is refused the same way.
    const forged = await discord.click({ user: owner, channel: discord.dmChannel(owner.id), message: dm.id, customId: `ora:approve:${id}` });
    expect(forged.answer.data?.content).toContain("never approved from");
    const approvals = await runAgentCommand(["approvals", "--state-dir", stateDir, "--profile", "shared"]);
    expect(approvals.stdout).toContain(id);
    // Decided on the PC instead: the DM says so and loses its button.
    const denied = await runAgentCommand(["deny", id, "--state-dir", stateDir, "--profile", "shared"]);
    expect(denied.code).toBe(0);
    await discord.waitForMessage((m) => m.id === dm.id && m.components.length === 0 && m.content.includes("❌ denied"));
  });

  it("turns away a stranger's DM politely, without reaching the model", async () => {
    const seen = llm.requests.length;
    const dm = discord.say({ author: stranger, channel: discord.dmChannel(stranger.id), content: "hello, who are you?" });
    const reply = await discord.waitForMessage((m) => m.channel === discord.dmChannel(stranger.id));
    expect(reply.content).toContain("only talk with my owner");
    expect(dm).toBeTruthy();
    expect(llm.requests.length).toBe(seen);
  });

  it("keeps guests of two servers, and the owner, out of each other's history", async () => {
    llm.script(text("Noted."), text("I know nothing of that."), text("Nothing here."));
    const secret = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "my locker code is 4711", mentionsBot: true });
    await replyTo(secret, "Noted.");
    const first = llm.requests.length - 1;
    const other = discord.say({ author: alice, guild: SERVER_B, channel: CHANNEL_B, content: "what is my locker code?", mentionsBot: true });
    await replyTo(other, "I know nothing of that.");
    const ownerAsks = discord.say({ author: owner, channel: discord.dmChannel(owner.id), content: "what did alice say?" });
    await replyTo(ownerAsks, "Nothing here.");
    expect(modelSaw(llm, first)).toContain("4711");
    expect(modelSaw(llm, first + 1)).not.toContain("4711");
    expect(modelSaw(llm, first + 2)).not.toContain("4711");
  });

  it("limits how fast one user may write, and says so once", async () => {
    const ids = Array.from({ length: 21 }, () => discord.say({ author: flooder, guild: SERVER_A, channel: CHANNEL_A, content: "/help", mentionsBot: true }));
    await replyTo(ids[20]!, /writing faster than I may answer/);
    for (const id of ids.slice(0, 20)) await replyTo(id, /Direct commands/);
  });

  it("waits as long as Discord's 429 says before sending again", async () => {
    discord.rateLimitNext(/^POST \/channels\/\d+\/messages$/, 400);
    const id = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "/help", mentionsBot: true });
    await replyTo(id, /Direct commands/);
    const posts = discord.requests.filter((r) => r.method === "POST" && r.path === `/channels/${CHANNEL_A}/messages`);
    const [limited, retried] = posts.slice(-2);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(400);
  });

  it("resumes after the gateway connection drops and goes on answering", async () => {
    await discord.dropConnection();
    expect(discord.resumes).toBeGreaterThanOrEqual(1);
    const id = discord.say({ author: alice, guild: SERVER_A, channel: CHANNEL_A, content: "/help", mentionsBot: true });
    await replyTo(id, /Direct commands/);
  });

  it("goes on without Discord when the token is refused, and says why", async () => {
    const otherState = newStateDir();
    const config = { owner: owner.id, guilds: [], channels: [], bot: { id: discord.bot.id, name: "ora", application: discord.bot.id } };
    writeDiscordConfig(otherState, { ...config, limits: { perUserPerMinute: 6, perGuildPerMinute: 30 } });
    const wrong = "MTAwMDAwMDAwMDAwMDAwMDAx.AAAAAA.wrong-token-wrong-token-wrong-token";
    new FileSecretStore(otherState).set(DISCORD_TOKEN_SECRET, wrong);
    const other = await startAgent(relay.url, otherState, { ORA_DISCORD_API: discord.api });
    try {
      // The relay side is up (startAgent waited for it); the Discord side reports the refusal.
      await other.waitFor("discord stopped");
      const status = await runAgentCommand(["discord", "status", "--state-dir", otherState]);
      expect(status.code).toBe(1);
      expect(status.stdout).toContain("Discord refused the bot token");
      expect(other.output()).not.toContain(wrong);
    } finally {
      await other.stop();
    }
  });

  it("audits Discord requests with server, channel and user, and never logs the token", async () => {
    const db = new Database(join(stateDir, "ora.db"), { readonly: true });
    const rows = db.prepare("SELECT event, device, via, session, status, detail FROM audit WHERE via = 'discord'").all() as Record<string, string>[];
    db.close();
    expect(rows).toContainEqual(
      expect.objectContaining({
        event: "discord.message",
        device: `discord:${alice.id}`,
        session: CHANNEL_A,
        status: "accepted",
        detail: expect.stringContaining(`guild:${SERVER_A}`),
      }),
    );
    expect(rows).toContainEqual(expect.objectContaining({ event: "discord.refused", device: `discord:${stranger.id}`, status: "stranger_dm" }));
    expect(rows).toContainEqual(expect.objectContaining({ event: "approval.approve", device: `discord:${bob.id}`, status: "forbidden" }));
    expect(rows).toContainEqual(expect.objectContaining({ event: "discord.interaction", status: "replayed" }));
    expect(agent.output()).not.toContain(discord.token);
    for (const file of readdirSync(stateDir).filter((f) => f !== "secrets.json" && !f.startsWith("ora.db"))) {
      if (file.endsWith(".json")) expect(readFileSync(join(stateDir, file), "utf8")).not.toContain(discord.token);
    }
  });
});
