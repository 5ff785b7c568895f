import { describe, expect, it } from "vitest";
import { createLogger, redact } from "../../node-agent/src/log.js";

// Shaped like a real bot token (base64 id . timestamp . HMAC), made up.
const DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789_-";

describe("redact", () => {
  it("keeps the kind of an ORA credential but blots out its secret part", () => {
    expect(redact("Bearer ora_node_AbC-12_x and ora_dev_zzz")).toBe("Bearer ora_node_[redacted] and ora_dev_[redacted]");
  });

  it("blots out anything shaped like a Discord bot token", () => {
    expect(redact(`Authorization: Bot ${DISCORD_TOKEN}`)).toBe("Authorization: Bot [redacted discord token]");
    expect(redact(`{"token":"${DISCORD_TOKEN}"}`)).toBe('{"token":"[redacted discord token]"}');
    const log: string[] = [];
    createLogger("debug", (line) => log.push(line)).error("login failed", { token: DISCORD_TOKEN });
    expect(log.join("")).not.toContain(DISCORD_TOKEN);
  });

  it("leaves dotted words that are not token-shaped alone", () => {
    for (const text of ["discord.bot_token", "api.example.com/v10/users/@me", "node-agent/src/channels/discord/config.ts", "1.2.3", "a.b.c"])
      expect(redact(text)).toBe(text);
    // The first part of a token is 24–28 characters: a longer run is some other base64.
    const longer = `${"A".repeat(40)}.GhIjKl.${"b".repeat(30)}`;
    expect(redact(longer)).toBe(longer);
  });
});
