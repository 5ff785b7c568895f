import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../node-agent/src/config.js";
import { databasePath } from "../../node-agent/src/safety/db.js";
import { FileSecretStore, NODE_CREDENTIAL_SECRET, secretsPath } from "../../node-agent/src/safety/secret-store.js";
import { toolConfigFor } from "../../node-agent/src/safety/tool-config.js";
import { alice, gus, harness, local, tempStateDir } from "./fixtures.js";

describe("profiles", () => {
  const home = tempStateDir();
  const env = { XDG_DATA_HOME: home };
  const privateDir = resolveConfig({ profile: "private" }, env).stateDir;
  const sharedDir = resolveConfig({ profile: "shared" }, env).stateDir;

  it("keep separate databases and identities, so a shared-profile guest cannot see private rows", async () => {
    const priv = harness({ profile: "private", stateDir: privateDir });
    const shared = harness({ profile: "shared", stateDir: sharedDir, env: { ORA_SHARED_GUEST_ALLOWED_TOOLS: "echo.low,echo.high" } });
    expect(databasePath(privateDir)).not.toBe(databasePath(sharedDir));
    expect(priv.safety.instanceId).not.toBe(shared.safety.instanceId);
    await priv.safety.callTool(alice, "echo.low", { text: "private diary" }, { origin: "t" });
    await priv.call(alice, "echo.high", { text: "private task" }).pending;
    expect(shared.safety.audit.tail(100)).toEqual([]);
    expect(shared.safety.approvals.list(local)).toEqual([]);
    await shared.safety.callTool(gus, "echo.low", { text: "hello" }, { origin: "t" });
    expect(priv.safety.audit.tail(100).every((row) => row.device !== gus.device)).toBe(true);
    priv.safety.close();
    shared.safety.close();
  });

  it("keep every profile's state directory out of reach of the file tools, even under a root that contains it", () => {
    mkdirSync(join(home, "Documents"), { recursive: true });
    mkdirSync(privateDir, { recursive: true });
    const config = toolConfigFor(sharedDir, { ...env, ORA_TOOL_ROOTS: `${home}:${join(home, "Documents")}` });
    expect(config.roots).toEqual([realpathSync(home), realpathSync(join(home, "Documents"))]);
    expect(config.excluded).toContain(realpathSync(join(home, "ora")));
    expect(config.excluded!.some((dir) => realpathSync(privateDir).startsWith(dir))).toBe(true);
  });

  it("refuse a tool root inside a state directory, a relative root and a missing one", () => {
    mkdirSync(privateDir, { recursive: true });
    expect(() => toolConfigFor(sharedDir, { ...env, ORA_TOOL_ROOTS: privateDir })).toThrow(/inside an ORA state directory/);
    expect(() => toolConfigFor(sharedDir, { ...env, ORA_TOOL_ROOTS: "Documents" })).toThrow(/not an absolute path/);
    expect(() => toolConfigFor(sharedDir, { ...env, ORA_TOOL_ROOTS: join(home, "nope") })).toThrow(/does not exist/);
    expect(toolConfigFor(sharedDir, env).roots).toEqual([]);
  });
});

describe("secrets at rest", () => {
  it("read the Node credential an older agent left in node.json, and move it out of node.json when it is stored anew", () => {
    const dir = tempStateDir();
    const registration = { relay: "https://relay.example.test", nodeId: "n1", registeredAt: "2026-01-01T00:00:00.000Z" };
    writeFileSync(join(dir, "node.json"), JSON.stringify({ ...registration, credential: "ora_node_old" }), { mode: 0o600 });
    const store = new FileSecretStore(dir);
    expect(store.names()).toEqual([NODE_CREDENTIAL_SECRET]);
    expect(store.get(NODE_CREDENTIAL_SECRET)).toBe("ora_node_old");
    store.set(NODE_CREDENTIAL_SECRET, "ora_node_old");
    expect(JSON.parse(readFileSync(join(dir, "node.json"), "utf8"))).toEqual(registration);
    expect(store.get(NODE_CREDENTIAL_SECRET)).toBe("ora_node_old");
    store.delete(NODE_CREDENTIAL_SECRET);
    expect(store.names()).toEqual([]);
    expect(existsSync(secretsPath(dir))).toBe(false);
  });

  it("are stored in a 0600 file and read back, and a damaged file never echoes its content", () => {
    const dir = tempStateDir();
    const store = new FileSecretStore(dir);
    expect(store.get("openai")).toBeUndefined();
    store.set("openai", "sk-test-123");
    store.set("anthropic", "sk-ant-456");
    store.delete("anthropic");
    expect(store.get("openai")).toBe("sk-test-123");
    expect(store.get("anthropic")).toBeUndefined();
    expect(statSync(secretsPath(dir)).mode & 0o777).toBe(0o600);
    writeFileSync(secretsPath(dir), '{"openai": sk-test-123');
    const error = (() => {
      try {
        store.get("openai");
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toMatch(/is not a secrets file/);
    expect(error?.message).not.toContain("sk-test-123");
  });
});
