import { describe, expect, it } from "vitest";
import { readButton } from "../../node-agent/src/channels/discord/approvals.js";
import { DiscordConfig, discordApi } from "../../node-agent/src/channels/discord/config.js";
import { identify } from "../../node-agent/src/channels/discord/identity.js";

const OWNER = "100000000000000001";
const GUILD_A = "200000000000000001";
const GUILD_B = "200000000000000002";
const SUB_ADMINS = "300000000000000001";
const config = DiscordConfig.parse({
  owner: OWNER,
  guilds: [GUILD_A, GUILD_B],
  subAdminRole: SUB_ADMINS,
  bot: { id: "400000000000000001", name: "ora", application: "400000000000000001" },
});
const guest = "500000000000000001";

describe("who wrote a Discord message", () => {
  it("is the owner by user id only, in DMs and in servers", () => {
    for (const place of [{ channel: "1" }, { guild: GUILD_A, channel: "2" }]) {
      const who = identify(config, { id: OWNER }, place);
      expect(who).toMatchObject({ kind: "member", requester: { role: "owner", user: "owner", via: "discord", device: `discord:${OWNER}` } });
    }
  });

  it("makes a member of an allowed server a guest of that server only", () => {
    const a = identify(config, { id: guest }, { guild: GUILD_A, channel: "2" });
    const b = identify(config, { id: guest }, { guild: GUILD_B, channel: "3" });
    expect(a).toMatchObject({ kind: "member", requester: { role: "guest", user: `discord:${GUILD_A}:${guest}`, session: "2" } });
    expect(b).toMatchObject({ kind: "member", requester: { role: "guest", user: `discord:${GUILD_B}:${guest}` } });
  });

  it("makes the configured role a sub-admin, and no other role", () => {
    expect(identify(config, { id: guest }, { guild: GUILD_A, channel: "2" }, [SUB_ADMINS])).toMatchObject({ requester: { role: "sub-admin" } });
    expect(identify(config, { id: guest }, { guild: GUILD_A, channel: "2" }, ["999999999999999999"])).toMatchObject({ requester: { role: "guest" } });
  });

  it("refuses strangers in DMs, other servers and bots", () => {
    expect(identify(config, { id: guest }, { channel: "9" })).toEqual({ kind: "refused", reason: "stranger_dm" });
    expect(identify(config, { id: guest }, { guild: "200000000000000009", channel: "9" })).toEqual({ kind: "refused", reason: "other_server" });
    expect(identify(config, { id: OWNER, bot: true }, { channel: "9" })).toEqual({ kind: "refused", reason: "bot" });
  });
});

describe("approval buttons", () => {
  it("carry only an approval id and a verdict", () => {
    expect(readButton("ora:approve:abcd1234")).toEqual({ verdict: "approve", id: "abcd1234" });
    expect(readButton("ora:deny:abcd1234")).toEqual({ verdict: "deny", id: "abcd1234" });
    for (const bad of ["ora:approve:", "ora:approve:abc;drop", "ora:grant:abcd1234", "approve:abcd1234", `ora:approve:${"a".repeat(40)}`]) {
      expect(readButton(bad)).toBeNull();
    }
  });
});

describe("the Discord API address", () => {
  it("is discord.com unless set, and never plain http off this machine (the token goes there)", () => {
    expect(discordApi({})).toBe("https://discord.com/api");
    expect(discordApi({ ORA_DISCORD_API: "http://127.0.0.1:9999/api/" })).toBe("http://127.0.0.1:9999/api");
    expect(() => discordApi({ ORA_DISCORD_API: "http://proxy.example/api" })).toThrow(/https/);
  });
});
