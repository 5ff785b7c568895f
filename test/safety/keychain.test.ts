/**
 * Secrets in the OS keychain, with the real CLI and agent against the real relay, and a real Secret
 * Service (GNOME Keyring on a D-Bus session of the test's own, test/helpers/secret-service.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DISCORD_TOKEN_SECRET } from "../../node-agent/src/channels/discord/config.js";
import { FileSecretStore } from "../../node-agent/src/safety/secret-store.js";
import { newStateDir, runAgentCommand, spawnAgent, startAgent, storedNode } from "../helpers/agent.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { type SecretService, startSecretService } from "../helpers/secret-service.js";

const TOKEN = "discord-bot-token-of-the-keychain-test";

// Each test starts agents and commands, every one a Node process of its own: seconds each on a busy machine.
describe("secrets in the OS keychain", { timeout: 120_000 }, () => {
  let relay: Relay;
  let keyring: SecretService;
  /** The Secret Service is there, and ORA_SECRETS is left to its default. */
  let withKeychain: Record<string, string>;
  /** No D-Bus session at all, as on a server or in a plain SSH login. */
  const noKeychain = { ORA_SECRETS: "auto", DBUS_SESSION_BUS_ADDRESS: "" };

  beforeAll(async () => {
    [relay, keyring] = await Promise.all([startRelay(), startSecretService()]);
    withKeychain = { ...keyring.env, ORA_SECRETS: "auto" };
  }, 60_000);
  afterAll(async () => {
    await relay?.dispose();
    await keyring?.stop();
  });

  /** What libsecret, outside the agent, finds for this state directory's secret. */
  const lookup = async (stateDir: string, name: string) => {
    const found = await keyring.secretTool("lookup", "service", "ora-agent", "username", `${stateDir}:${name}`);
    return found.code === 0 ? found.stdout : undefined;
  };
  /** Every file under the state directory that contains `value`, databases included. */
  const filesContaining = (stateDir: string, value: string) =>
    (readdirSync(stateDir, { recursive: true }) as string[])
      .map((name) => join(stateDir, name))
      .filter((path) => statSync(path).isFile() && readFileSync(path).includes(value));
  const secretsOf = async (stateDir: string, env: Record<string, string>) => {
    const shown = await runAgentCommand(["secrets", "--json", "--state-dir", stateDir], env);
    expect(shown.code, shown.stderr).toBe(0);
    return JSON.parse(shown.stdout) as { store: string; where: string; names: { keychain: string[] | null; file: string[] } };
  };

  it("keeps the Node credential in the Secret Service, on no file of the state directory, and reconnects with it", async () => {
    const stateDir = newStateDir();
    const agent = await startAgent(relay.url, stateDir, withKeychain);
    const { nodeId } = storedNode(stateDir);
    await agent.stop();

    const credential = await lookup(stateDir, "node.credential");
    expect(credential).toMatch(/^ora_node_/);
    expect(filesContaining(stateDir, credential!)).toEqual([]);
    expect(JSON.parse(readFileSync(join(stateDir, "node.json"), "utf8"))).toEqual({ relay: relay.url, nodeId, registeredAt: expect.any(String) });
    expect(agent.output()).not.toContain(credential);

    const again = await startAgent(relay.url, stateDir, withKeychain);
    expect(again.output()).not.toContain("registering");
    expect(storedNode(stateDir).nodeId).toBe(nodeId);
    const status = await runAgentCommand(["status", "--json", "--state-dir", stateDir], withKeychain);
    expect(JSON.parse(status.stdout).secrets).toMatchObject({
      mode: "auto",
      store: "keychain",
      where: "OS keychain (Secret Service)",
      keychain: { usable: true },
    });
    const text = await runAgentCommand(["status", "--state-dir", stateDir], withKeychain);
    expect(text.stdout).toMatch(/^secrets {5}OS keychain \(Secret Service\)$/m);
    const doctor = await runAgentCommand(["doctor", "--json", "--state-dir", stateDir], withKeychain);
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(expect.objectContaining({ name: "secrets", ok: true, detail: "OS keychain (Secret Service)" }));
    await again.stop();
    for (const output of [status, text, doctor]) expect(output.stdout + output.stderr).not.toContain(credential);
  });

  it("keeps two state directories' secrets apart, and lists names only, never values", async () => {
    const first = newStateDir();
    const second = newStateDir();
    for (const stateDir of [first, second]) await (await startAgent(relay.url, stateDir, withKeychain)).stop();
    const [one, two] = [await lookup(first, "node.credential"), await lookup(second, "node.credential")];
    expect(one).toMatch(/^ora_node_/);
    expect(two).toMatch(/^ora_node_/);
    expect(one).not.toBe(two);
    const shown = await runAgentCommand(["secrets", "--state-dir", first], withKeychain);
    expect(shown.stdout).toMatch(/^in keychain {3}node\.credential$/m);
    expect(shown.stdout).toMatch(/^in file {7}none /m);
    expect(shown.stdout).not.toContain(one);
    expect((await secretsOf(second, withKeychain)).names).toEqual({ keychain: ["node.credential"], file: [] });
  });

  it("moves every secret of an agent upgraded from files into the keychain and back, and the agent connects after each move", async () => {
    const stateDir = newStateDir();
    await (await startAgent(relay.url, stateDir, { ORA_SECRETS: "file" })).stop();
    const node = storedNode(stateDir);
    // As an agent from before the secret store left it: the credential in node.json, a token in secrets.json.
    writeFileSync(join(stateDir, "node.json"), JSON.stringify(node), { mode: 0o600 });
    writeFileSync(join(stateDir, "secrets.json"), JSON.stringify({ [DISCORD_TOKEN_SECRET]: TOKEN }), { mode: 0o600 });
    const upgraded = await startAgent(relay.url, stateDir, withKeychain);
    expect(upgraded.output()).not.toContain("registering");
    await upgraded.stop();

    const toKeychain = await runAgentCommand(["secrets", "migrate", "--to", "keychain", "--state-dir", stateDir], withKeychain);
    expect(toKeychain.code, toKeychain.stderr).toBe(0);
    expect(toKeychain.stdout).toContain("moved 2 secrets to the OS keychain (Secret Service): discord.bot_token, node.credential");
    expect(await lookup(stateDir, "node.credential")).toBe(node.credential);
    expect(await lookup(stateDir, DISCORD_TOKEN_SECRET)).toBe(TOKEN);
    expect(filesContaining(stateDir, node.credential)).toEqual([]);
    expect(filesContaining(stateDir, TOKEN)).toEqual([]);
    expect(existsSync(join(stateDir, "secrets.json"))).toBe(false);
    expect((await secretsOf(stateDir, withKeychain)).names).toEqual({ keychain: ["discord.bot_token", "node.credential"], file: [] });
    await (await startAgent(relay.url, stateDir, withKeychain)).stop();

    const toFile = await runAgentCommand(["secrets", "migrate", "--to", "file", "--state-dir", stateDir], withKeychain);
    expect(toFile.code, toFile.stderr).toBe(0);
    expect(toFile.stdout).toContain(`moved 2 secrets to file (0600) ${join(stateDir, "secrets.json")}`);
    expect(toFile.stdout).toContain("new secrets still go to OS keychain (Secret Service) (ORA_SECRETS=auto); set ORA_SECRETS=file");
    expect(await lookup(stateDir, "node.credential")).toBeUndefined();
    expect(await lookup(stateDir, DISCORD_TOKEN_SECRET)).toBeUndefined();
    expect(statSync(join(stateDir, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(new FileSecretStore(stateDir).names()).toEqual(["discord.bot_token", "node.credential"]);
    for (const output of [toKeychain, toFile]) expect(output.stdout + output.stderr).not.toContain(node.credential);

    // Without any keychain now: the file alone carries the agent.
    const back = await startAgent(relay.url, stateDir, noKeychain);
    expect(back.output()).not.toContain("registering");
    expect(storedNode(stateDir).nodeId).toBe(node.nodeId);
    await back.stop();
  });

  it("falls back to the file when no Secret Service runs, and status, doctor and secrets say so", async () => {
    const stateDir = newStateDir();
    await (await startAgent(relay.url, stateDir, noKeychain)).stop();
    expect(statSync(join(stateDir, "secrets.json")).mode & 0o777).toBe(0o600);
    expect(storedNode(stateDir).credential).toMatch(/^ora_node_/);
    const status = await runAgentCommand(["status", "--json", "--state-dir", stateDir], noKeychain);
    expect(JSON.parse(status.stdout).secrets).toMatchObject({
      mode: "auto",
      store: "file",
      where: "file (0600)",
      keychain: { name: "Secret Service", usable: false, reason: expect.stringContaining("DBUS_SESSION_BUS_ADDRESS is not set") },
    });
    const text = await runAgentCommand(["status", "--state-dir", stateDir], noKeychain);
    expect(text.stdout).toContain(`secrets     file (0600) in ${join(stateDir, "secrets.json")}; OS keychain (Secret Service) not usable: no D-Bus session`);
    const doctor = await runAgentCommand(["doctor", "--state-dir", stateDir], noKeychain);
    expect(doctor.stdout).toMatch(/✓ secrets\s+file \(0600\) in /);
    expect((await secretsOf(stateDir, noKeychain)).names).toEqual({ keychain: null, file: ["node.credential"] });
  });

  it("refuses to migrate into a keychain that is not usable, and moves nothing", async () => {
    const stateDir = newStateDir();
    new FileSecretStore(stateDir).set(DISCORD_TOKEN_SECRET, TOKEN);
    const before = readFileSync(join(stateDir, "secrets.json"), "utf8");
    const refused = await runAgentCommand(["secrets", "migrate", "--to", "keychain", "--state-dir", stateDir], noKeychain);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("the OS keychain (Secret Service) is not usable here (no D-Bus session");
    expect(refused.stderr).toContain("Nothing was moved");
    expect(readFileSync(join(stateDir, "secrets.json"), "utf8")).toBe(before);
    const where = await runAgentCommand(["secrets", "migrate", "--state-dir", stateDir], noKeychain);
    expect(where.code).toBe(2);
    expect(where.stderr).toContain("migrate where? --to keychain or --to file");
  });

  it("with ORA_SECRETS=keychain and no keychain, refuses to register before asking the relay, and doctor says what to do", async () => {
    const stateDir = newStateDir();
    const strict = { ...noKeychain, ORA_SECRETS: "keychain" };
    const agent = spawnAgent(relay.url, stateDir, strict);
    expect(await agent.exit()).toBe(2);
    expect(agent.output()).toContain("ORA_SECRETS=keychain, but the OS keychain (Secret Service) is not usable: no D-Bus session");
    expect(agent.output()).not.toContain("registering");
    expect(existsSync(join(stateDir, "node.json"))).toBe(false);
    const doctor = await runAgentCommand(["doctor", "--json", "--state-dir", stateDir], strict);
    expect(JSON.parse(doctor.stdout).checks).toContainEqual(
      expect.objectContaining({ name: "secrets", ok: false, essential: true, fix: expect.stringContaining("ORA_SECRETS=file") }),
    );
    const wrong = await runAgentCommand(["status", "--state-dir", stateDir], { ORA_SECRETS: "vault" });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('ORA_SECRETS is "vault": use keychain, file or auto');
  });

  describe("a D-Bus address where nothing answers", () => {
    let silent: Server;
    let socket: string;
    const connections = new Set<Socket>();
    beforeAll(async () => {
      socket = join(newStateDir(), "bus");
      // Accepts the connection and never says a word: libdbus waits for the authentication reply.
      silent = createServer((connection) => connections.add(connection));
      await new Promise<void>((resolve) => silent.listen(socket, resolve));
    });
    afterAll(async () => {
      for (const connection of connections) connection.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it("costs status a few seconds at most, and the file is used", async () => {
      const stateDir = newStateDir();
      const status = await runAgentCommand(["status", "--json", "--state-dir", stateDir], {
        ORA_SECRETS: "auto",
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`,
      });
      expect(JSON.parse(status.stdout).secrets).toMatchObject({
        store: "file",
        keychain: { usable: false, reason: expect.stringContaining("no answer within 5 s") },
      });
    });
  });
});
