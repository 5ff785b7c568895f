/**
 * The packages as people get them: `npm run tarballs` packs ora-agent and ora-protocol, npm installs
 * them from those tarballs and the registry into empty directories outside this repository (nothing of
 * its node_modules is reachable from there, and NODE_PATH is empty), then the installed `ora-agent`
 * runs the way it does on a user's PC and a client built on the installed `ora-protocol` pairs with it
 * through a local relay. One install for the whole file: npm takes 15–30 s here.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_LIBRARY, packPackages, userNpmEnv } from "../../scripts/pack.mjs";
import { startAgent, type AgentProcess } from "../helpers/agent.js";
import { until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const { version } = JSON.parse(readFileSync(join(repo, "node-agent", "package.json"), "utf8")) as { version: string };

/** A client writer's program: pairs by the code it is given, then asks the PC who it is. */
const CLIENT = `import { generateKeyPair, OraClient, pairDevice, staticKey } from "${CLIENT_LIBRARY}";
const [code, relay] = process.argv.slice(2);
let digits = "";
const paired = await pairDevice({ code, relay, name: "Installed client", key: staticKey(generateKeyPair().secretKey), onVerification: (d) => (digits = d) });
const client = await OraClient.connect({ identity: paired.identity });
const whoami = await client.request("whoami");
client.close();
process.stdout.write(JSON.stringify({ digits, grant: paired.grant, whoami }));
`;

describe("ora-agent and ora-protocol installed from their tarballs", () => {
  const work = mkdtempSync(join(tmpdir(), "ora-install-"));
  const prefix = join(work, "pc");
  const bin = join(prefix, "bin", "ora-agent");
  const app = join(work, "client-app");
  const children: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;
  let relay: Relay | undefined;
  let agent: AgentProcess | undefined;

  /** Runs a program as the user's shell would; rejects with its output when it fails. */
  const run = (file: string, args: string[], cwd: string, timeout = 240_000) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = execFile(file, args, { cwd, env, timeout, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stdout}${stderr}`));
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      });
      children.push(child);
    });
  const npm = async (args: string[], cwd: string) => {
    const result = await run("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], cwd);
    if (result.code !== 0) throw new Error(`npm ${args.join(" ")} failed (${result.code}):\n${result.stdout}${result.stderr}`);
  };

  beforeAll(async () => {
    const tarballs = packPackages(join(work, "tarballs"));
    // A user's PATH: Node 22 (this one) and the installed command, none of this repository's tools.
    const nodeDir = join(work, "node");
    mkdirSync(nodeDir);
    symlinkSync(process.execPath, join(nodeDir, "node"));
    const systemPath = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "" && !dir.startsWith(repo));
    env = { ...userNpmEnv(), NODE_PATH: "", PATH: [join(prefix, "bin"), nodeDir, ...systemPath].join(delimiter) };

    await npm(["install", "--global", "--prefix", prefix, tarballs.agent], work);
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "client-app", private: true, type: "module" }));
    writeFileSync(join(app, "pair.mjs"), CLIENT);
    await npm(["install", tarballs.protocol], app);
    relay = await startRelay();
  }, 300_000);

  afterAll(async () => {
    await agent?.stop();
    for (const child of children) if (child.exitCode === null) child.kill();
    await relay?.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it("installs a command that explains itself, carrying the protocol inside the package", async () => {
    const help = await run(bin, ["--help"], work);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: ora-agent <command>");
    expect((await run(bin, ["--version"], work)).stdout).toBe(`ora-agent ${version}\n`);
    const bundled = realpathSync(join(prefix, "lib", "node_modules", "ora-agent", "node_modules", "@ora", "protocol"));
    expect(bundled.startsWith(realpathSync(prefix))).toBe(true);
  });

  it("starts against a local relay and pairs a client written with the installed library", async () => {
    const stateDir = join(work, "state");
    agent = await startAgent(relay!.url, stateDir, { PATH: env.PATH!, NODE_PATH: "" }, [bin]);

    const pair = spawn(bin, ["pair", "--relay", relay!.url, "--state-dir", stateDir, "--no-qr", "--yes"], { env, stdio: ["ignore", "pipe", "pipe"] });
    children.push(pair);
    let output = "";
    pair.stdout.on("data", (d) => (output += d));
    pair.stderr.on("data", (d) => (output += d));
    const exit = new Promise<number | null>((resolve) => pair.on("exit", resolve));
    await until(() => /Pairing code: \S+/.test(output) || pair.exitCode !== null, 10_000, "a pairing code");
    const code = /Pairing code: (\S+)/.exec(output)?.[1];
    if (!code) throw new Error(`ora-agent pair printed no code:\n${output}`);

    const client = await run("node", ["pair.mjs", code, relay!.url], app, 30_000);
    expect(client.code, client.stderr).toBe(0);
    const { digits, grant, whoami } = JSON.parse(client.stdout);
    expect(await exit).toBe(0);
    expect(output).toContain(`Verification digits: ${digits}`);
    expect(grant).toMatchObject({ role: "owner", name: "Installed client", node: agent.node().nodeId });
    expect(whoami).toEqual({ device: grant.device, name: "Installed client", role: "owner", pc: { name: expect.any(String), version: expect.any(String) } });

    const devices = await run(bin, ["devices", "--json", "--state-dir", stateDir], work);
    expect(JSON.parse(devices.stdout).map((d: { name: string }) => d.name)).toContain("Installed client");
  });
});
