/**
 * `/lockdown` on Discord, end to end: the real agent process, a fake Discord on 127.0.0.1 and the real
 * relay. Only the owner, only in a DM, locks the PC down (slash command or typed); a guest's attempt
 * is refused and changes nothing.
 */
import { CloseCode, OraClient } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_TOKEN_SECRET, writeDiscordConfig } from "../../node-agent/src/channels/discord/config.js";
import { FileSecretStore } from "../../node-agent/src/safety/secret-store.js";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { type DiscordUser, type FakeDiscord, startFakeDiscord } from "../helpers/fake-discord.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const SERVER = "710000000000000001";
const CHANNEL = "720000000000000001";
const owner: DiscordUser = { id: "740000000000000001", username: "owner" };
const alice: DiscordUser = { id: "740000000000000002", username: "alice" };

describe("/lockdown on Discord", () => {
  let relay: Relay;
  let discord: FakeDiscord;
  let agent: AgentProcess;
  let phoneId: ProvisionedDevice;
  const stateDir = newStateDir();

  beforeAll(async () => {
    [relay, discord] = await Promise.all([startRelay(), startFakeDiscord()]);
    writeDiscordConfig(stateDir, {
      owner: owner.id,
      guilds: [SERVER],
      channels: [],
      bot: { id: discord.bot.id, name: discord.bot.username, application: discord.bot.id },
      limits: { perUserPerMinute: 20, perGuildPerMinute: 200 },
    });
    new FileSecretStore(stateDir).set(DISCORD_TOKEN_SECRET, discord.token);
    agent = await startAgent(relay.url, stateDir, { ORA_DISCORD_API: discord.api });
    await discord.ready();
    phoneId = await provisionDevice(relay, agent, "owner-phone", "owner");
  });
  afterAll(async () => {
    await agent?.stop();
    await Promise.all([discord?.close(), relay?.dispose()]);
  });

  const replyTo = (id: string, expected: RegExp) => discord.waitForMessage((m) => m.replyTo === id && expected.test(m.content));

  it("offers /lockdown in DMs only", async () => {
    const put = await discord.waitForRequest((r) => r.method === "PUT" && r.path === `/applications/${discord.bot.id}/commands`);
    expect((put.body as { name: string; contexts: number[] }[]).find((c) => c.name === "lockdown")).toMatchObject({ contexts: [1] });
  });

  it("refuses /lockdown from a guest, typed or as a command, and from the owner in a server", async () => {
    const slash = await discord.command({ user: alice, guild: SERVER, channel: CHANNEL, name: "lockdown" });
    expect(slash.answer).toMatchObject({ type: 4, data: { flags: 64, content: expect.stringContaining("Only the owner") } });
    const typed = discord.say({ author: alice, guild: SERVER, channel: CHANNEL, content: "/lockdown", mentionsBot: true });
    await replyTo(typed, /Only the owner of this secretary can lock it down/);
    const inServer = await discord.command({ user: owner, guild: SERVER, channel: CHANNEL, name: "lockdown" });
    expect(inServer.answer.data?.content).toContain("in a DM");
    const phone = await OraClient.connect({ identity: phoneId });
    expect((await phone.request("lockdown.status")).lockdown.locked).toBe(false);
    phone.close();
    const audit = await runAgentCommand(["audit", "--state-dir", stateDir, "--limit", "50"]);
    expect(audit.stdout).toMatch(/lockdown\.enter.*forbidden/);
  });

  it("locks the PC down from the owner's DM: every device session closes, and the owner is told how to end it", async () => {
    const phone = await OraClient.connect({ identity: phoneId });
    await phone.request("ping");
    const closed = new Promise<number>((resolve) => phone.onClose(resolve));
    const slash = await discord.command({ user: owner, channel: discord.dmChannel(owner.id), name: "lockdown" });
    expect(slash.answer.data?.content).toMatch(
      /^🔒 Lockdown: 0 waiting task\(s\) cancelled, 1 device session\(s\) closed; .* End it at the PC with `.*unlock.*`/,
    );
    expect(await closed).toBe(CloseCode.LOCKED_DOWN);
    await expect(OraClient.connect({ identity: phoneId })).rejects.toMatchObject({ code: "locked_down" });

    const typed = discord.say({ author: owner, channel: discord.dmChannel(owner.id), content: "/lockdown" });
    await replyTo(typed, /^🔒 Already in lockdown/);
    expect((await runAgentCommand(["status", "--state-dir", stateDir])).stdout).toMatch(/lockdown {4}ON since \S+ \(by the owner on Discord\)/);
    expect((await runAgentCommand(["unlock", "--state-dir", stateDir])).code).toBe(0);
    (await OraClient.connect({ identity: phoneId })).close();
  });
});
