/** `ora-agent discord setup | status | off`, and Discord's lines in doctor and status: real processes against a fake Discord. */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_TOKEN_SECRET } from "../../node-agent/src/channels/discord/config.js";
import { newStateDir, runAgentCommand, runAgentCommandWithInput, type CommandResult } from "../helpers/agent.js";
import { startFakeDiscord, type FakeDiscord } from "../helpers/fake-discord.js";

const OWNER = "111111111111111111";
const GUILD_A = "222222222222222222";
const GUILD_B = "333333333333333333";
const CHANNEL = "444444444444444444";
const ROLE = "555555555555555555";

describe("ora-agent discord", () => {
  let discord: FakeDiscord;
  let env: Record<string, string>;

  beforeAll(async () => {
    discord = await startFakeDiscord();
    env = { ORA_DISCORD_API: discord.api };
  });
  afterAll(async () => {
    await discord?.close();
  });

  const ora = (dir: string, ...args: string[]) => runAgentCommand([...args, "--state-dir", dir, "--relay", "http://127.0.0.1:9"], env);
  const setup = (dir: string, token: string, ...args: string[]) => runAgentCommandWithInput(["discord", "setup", "--state-dir", dir, ...args], token, env);
  const secrets = (dir: string): Record<string, string> =>
    existsSync(join(dir, "secrets.json")) ? JSON.parse(readFileSync(join(dir, "secrets.json"), "utf8")) : {};
  const expectNoToken = (result: CommandResult, token: string) => {
    expect(result.stdout).not.toContain(token);
    expect(result.stderr).not.toContain(token);
  };
  const doctorCheck = async (dir: string) => {
    const doctor = await ora(dir, "doctor", "--json");
    const checks: { name: string; ok: boolean; detail: string; fix?: string }[] = JSON.parse(doctor.stdout).checks;
    return checks.find((check) => check.name === "discord");
  };

  it("checks the token with Discord, keeps it in the secret store and prints the invite link, never the token", async () => {
    const dir = newStateDir();
    const result = await setup(
      dir,
      `${discord.token}\n`,
      "--owner",
      OWNER,
      "--guild",
      GUILD_A,
      "--guild",
      GUILD_B,
      "--channel",
      CHANNEL,
      "--sub-admin-role",
      ROLE,
    );
    expect(result.code, result.stderr).toBe(0);
    expectNoToken(result, discord.token);

    expect(statSync(join(dir, "discord.json")).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, "discord.json"), "utf8"))).toEqual({
      owner: OWNER,
      guilds: [GUILD_A, GUILD_B],
      channels: [CHANNEL],
      subAdminRole: ROLE,
      bot: { id: discord.bot.id, name: discord.bot.username, application: discord.bot.id },
      limits: { perUserPerMinute: 6, perGuildPerMinute: 30 },
    });
    expect(statSync(join(dir, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(secrets(dir)[DISCORD_TOKEN_SECRET]).toBe(discord.token);

    const invite = new URL(result.stdout.match(/https:\/\/discord\.com\/oauth2\/authorize\S+/)![0]);
    expect(invite.searchParams.get("client_id")).toBe(discord.bot.id);
    expect(invite.searchParams.get("permissions")).toBe("3072");
    expect(invite.searchParams.get("scope")).toBe("bot applications.commands");
    expect(result.stdout).toContain("Message Content Intent");
    expect(result.stdout).toContain("start --state-dir");
  });

  it("asks for Message Content Intent only when a channel is answered in full", async () => {
    const result = await setup(newStateDir(), discord.token, "--owner", OWNER, "--guild", GUILD_A);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain("Message Content Intent");
  });

  it("refuses a token Discord refuses, says where to get a new one, and writes nothing", async () => {
    const dir = newStateDir();
    const wrong = `${discord.token.slice(0, -4)}AAAA`;
    const result = await setup(dir, wrong, "--owner", OWNER);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Discord refused this token");
    expect(result.stderr).toContain("Reset Token");
    expectNoToken(result, wrong);
    expect(existsSync(join(dir, "discord.json"))).toBe(false);
    expect(existsSync(join(dir, "secrets.json"))).toBe(false);
  });

  it("names the flag that holds a malformed id, before reading the token", async () => {
    const dir = newStateDir();
    const asked = discord.requests.length;
    const owner = await setup(dir, discord.token, "--owner", "@me");
    expect(owner.code).toBe(2);
    expect(owner.stderr).toContain('--owner "@me" is not a Discord id');
    const guild = await setup(dir, discord.token, "--owner", OWNER, "--guild", GUILD_A, "--guild", "my-server");
    expect(guild.code).toBe(2);
    expect(guild.stderr).toContain('--guild "my-server" is not a Discord id');
    const missing = await setup(dir, discord.token);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--owner is required");
    expect(discord.requests.length).toBe(asked);
    expect(existsSync(join(dir, "discord.json"))).toBe(false);
  });

  it("says so when standard input holds no token", async () => {
    const result = await setup(newStateDir(), "\n", "--owner", OWNER);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no bot token on standard input");
    expect(result.stderr).toContain(`--owner ${OWNER} < token.txt`);
  });

  it("changes only the ids with --keep-token", async () => {
    const dir = newStateDir();
    expect((await setup(dir, discord.token, "--owner", OWNER)).code).toBe(0);
    const again = await setup(dir, "", "--owner", OWNER, "--guild", GUILD_B, "--keep-token");
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "discord.json"), "utf8")).guilds).toEqual([GUILD_B]);
    expect(secrets(dir)[DISCORD_TOKEN_SECRET]).toBe(discord.token);
  });

  it("reports off before setup, the settings after, and whether the agent is connected", async () => {
    const dir = newStateDir();
    const before = await ora(dir, "discord", "status");
    expect(before.code).toBe(1);
    expect(before.stdout).toContain("Discord is off: run");
    expect(before.stdout).toContain("discord setup");
    expect((await ora(dir, "status")).stdout).toMatch(/^discord\s+off$/m);

    expect((await setup(dir, discord.token, "--owner", OWNER, "--channel", CHANNEL)).code).toBe(0);
    const after = await ora(dir, "discord", "status");
    expect(after.code).toBe(1);
    expect(after.stdout).toContain(`${discord.bot.username} (id ${discord.bot.id}`);
    expect(after.stdout).toMatch(new RegExp(`^owner\\s+${OWNER}$`, "m"));
    expect(after.stdout).toMatch(new RegExp(`^channels\\s+${CHANNEL}$`, "m"));
    expect(after.stdout).toMatch(/^token\s+stored$/m);
    expect(after.stdout).toMatch(/^connection\s+agent not running$/m);
    expectNoToken(after, discord.token);

    // What a running agent writes: this test process stands in for it, so its pid is alive.
    writeFileSync(join(dir, "discord-status.json"), JSON.stringify({ pid: process.pid, state: "connected", since: "2025-01-01T00:00:00.000Z" }));
    const connected = await ora(dir, "discord", "status", "--json");
    expect(connected.code).toBe(0);
    expect(JSON.parse(connected.stdout)).toMatchObject({ configured: true, tokenStored: true, connected: true, connection: { state: "connected" } });
    expect(JSON.parse(connected.stdout).config.bot.id).toBe(discord.bot.id);
    expectNoToken(connected, discord.token);
    expect(JSON.parse((await ora(dir, "status", "--json")).stdout).discord).toBe(`connected as ${discord.bot.username} since 2025-01-01T00:00:00.000Z`);
    expect(await doctorCheck(dir)).toMatchObject({ ok: true, detail: expect.stringContaining(`connected as ${discord.bot.username}`) });

    writeFileSync(
      join(dir, "discord-status.json"),
      JSON.stringify({ pid: process.pid, state: "stopped", since: "2025-01-01T00:00:00.000Z", detail: "Discord refused the token" }),
    );
    const stopped = await doctorCheck(dir);
    expect(stopped).toMatchObject({ ok: false, detail: expect.stringContaining("Discord refused the token") });
    expect(stopped?.fix).toContain("discord setup");
  });

  it("turns Discord off by removing the settings and the token", async () => {
    const dir = newStateDir();
    expect((await setup(dir, discord.token, "--owner", OWNER)).code).toBe(0);
    const off = await ora(dir, "discord", "off");
    expect(off.code).toBe(0);
    expect(off.stdout).toContain("Discord is off");
    expect(existsSync(join(dir, "discord.json"))).toBe(false);
    expect(secrets(dir)).not.toHaveProperty(DISCORD_TOKEN_SECRET);
    expect((await ora(dir, "discord", "status")).stdout).toContain("Discord is off");
    const again = await ora(dir, "discord", "off");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to remove");
  });

  it("shows Discord in doctor: fine when off, a fix when the token is missing", async () => {
    const dir = newStateDir();
    expect(await doctorCheck(dir)).toMatchObject({ ok: true, detail: "off (not configured)" });
    expect((await setup(dir, discord.token, "--owner", OWNER)).code).toBe(0);
    const rest = secrets(dir);
    delete rest[DISCORD_TOKEN_SECRET];
    writeFileSync(join(dir, "secrets.json"), JSON.stringify(rest));
    const missing = await doctorCheck(dir);
    expect(missing).toMatchObject({ ok: false, detail: expect.stringContaining("no bot token") });
    expect(missing?.fix).toContain(`discord setup --state-dir ${dir} --relay http://127.0.0.1:9 --owner ${OWNER}`);
    const text = await ora(dir, "doctor");
    expect(text.stdout).toMatch(/✗ discord\s+set up, but no bot token is stored \(optional\)/);
  });

  it("lists its actions with an example each, and refuses flags that belong to another", async () => {
    const help = await runAgentCommand(["discord", "--help"]);
    expect(help.code).toBe(0);
    for (const text of ["discord setup --owner", "discord status", "discord off", "never lands in your shell"]) expect(help.stdout).toContain(text);
    const bare = await runAgentCommand(["discord"]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain("discord setup --owner");
    const stray = await ora(newStateDir(), "discord", "status", "--owner", OWNER);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("--owner does not go with discord status");
  });
});
