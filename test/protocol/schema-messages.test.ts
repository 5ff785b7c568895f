import { AgentVersion, useEnglishSchemaMessages } from "@ora/protocol";
import { describe, expect, it } from "vitest";

describe("schema messages", () => {
  it("are bare without the English messages and readable with them", () => {
    const bare = AgentVersion.safeParse(7);
    expect(bare.error?.issues[0]?.message).toBe("Invalid input");
    useEnglishSchemaMessages();
    expect(AgentVersion.safeParse(7).error?.issues[0]?.message).toBe("Invalid input: expected string, received number");
    expect(AgentVersion.safeParse("1".repeat(65)).error?.issues[0]?.message).toBe("Too big: expected string to have <=64 characters");
  });
});
