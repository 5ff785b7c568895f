/**
 * A compromised relay between a paired device and its PC: it sees, records and may rewrite every
 * frame. It must learn no content, and every frame it alters, replays, reorders or injects must be
 * rejected by the end that receives it.
 */
import { generateKeyPair, OraClient, OraError } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startMitm, type Mitm } from "../helpers/mitm.js";
import { startRelay, type Relay } from "../helpers/relay.js";

const CANARY = "CANARY-7f3a9c-do-not-leak";

describe("a relay in the middle", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let device: ProvisionedDevice;
  let mitm: Mitm;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url);
    device = await provisionDevice(relay, agent, "alice-phone");
    mitm = await startMitm(relay.url);
  });
  afterAll(async () => {
    await mitm?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  async function connect(): Promise<OraClient> {
    mitm.tamper = (_d, text) => [text];
    const client = await OraClient.connect({ identity: { ...device, relay: mitm.url } });
    expect(await client.request("ping")).toMatchObject({ pong: true }); // handshake done
    return client;
  }

  const isReq = (text: string) => text.startsWith('{"t":"req"');
  const flipPayloadBit = (text: string) => {
    const at = text.indexOf("\n") + 20;
    return text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
  };

  it("sees no request or answer content in clear: the canary never crosses the relay readable", async () => {
    const client = await connect();
    const chunks: unknown[] = [];
    expect(await client.request("echo", { note: CANARY })).toEqual({ note: CANARY });
    await client.request("echo.stream", { text: CANARY, count: 3 }, { onChunk: (c) => chunks.push(c) });
    expect(chunks).toHaveLength(3);
    const seen = mitm.frames.map((f) => f.text).join("\n");
    expect(seen).not.toContain(CANARY);
    expect(seen).not.toContain("echo"); // not even the method name
    // Nor does the relay keep it anywhere the operator can read.
    const { nodeId } = agent.node();
    expect(JSON.stringify(await relay.metrics(nodeId))).not.toContain(CANARY);
    client.close();
  });

  it("rejects a request whose payload was altered in transit, and the agent runs nothing", async () => {
    const client = await connect();
    mitm.tamper = (direction, text) => [direction === "up" && isReq(text) ? flipPayloadBit(text) : text];
    await expect(client.request("echo", { note: CANARY })).rejects.toMatchObject({ code: "tampered" });
    // The bit was flipped in the raw sealed bytes of a binary frame: the relay and both ends speak them.
    expect(mitm.frames.filter((f) => f.direction === "up" && isReq(f.text)).at(-1)?.binary).toBe(true);
    mitm.tamper = (_d, text) => [text];
    expect(await client.request("echo", "after")).toBe("after"); // the session goes on
    client.close();
  });

  it("rejects an answer whose payload was altered in transit", async () => {
    const client = await connect();
    mitm.tamper = (direction, text) => [direction === "down" && text.startsWith('{"t":"res"') ? flipPayloadBit(text) : text];
    await expect(client.request("echo", CANARY)).rejects.toBeInstanceOf(OraError);
    expect(mitm.frames.filter((f) => f.direction === "down" && f.text.startsWith('{"t":"res"')).at(-1)?.binary).toBe(true);
    client.close();
  });

  it("refuses a replayed request at the agent, under a new request id", async () => {
    const client = await connect();
    let recorded: string | undefined;
    mitm.tamper = (direction, text) => {
      if (direction === "up" && isReq(text) && !recorded) recorded = text;
      return [text];
    };
    expect(await client.request("echo", "once")).toBe("once");
    const refusals: string[] = [];
    mitm.tamper = (direction, text) => {
      if (direction === "down" && text.startsWith('{"t":"res","id":"replay1"')) {
        refusals.push(text);
        return [];
      }
      return [text];
    };
    mitm.inject("up", recorded!.replace(/"id":"[^"]+"/, '"id":"replay1"'));
    await expect.poll(() => refusals.length, { timeout: 5000 }).toBe(1);
    expect(JSON.parse(refusals[0]!.slice(refusals[0]!.indexOf("\n") + 1))).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/verification/) },
    });
    client.close();
  });

  it("rejects reordered requests: the one held back and sent late is refused", async () => {
    const client = await connect();
    let held: string | undefined;
    mitm.tamper = (direction, text) => {
      if (direction !== "up" || !isReq(text)) return [text];
      if (!held) {
        held = text;
        return [];
      }
      return [text, held]; // the second request overtakes the first
    };
    const [first, second] = await Promise.allSettled([client.request("echo", "first"), client.request("echo", "second")]);
    expect(second).toEqual({ status: "fulfilled", value: "second" });
    expect(first).toMatchObject({ status: "rejected", reason: { code: "tampered" } });
    client.close();
  });

  it("rejects answers swapped between two requests", async () => {
    const client = await connect();
    const answers: string[] = [];
    mitm.tamper = (direction, text) => {
      if (direction !== "down" || !text.startsWith('{"t":"res"')) return [text];
      answers.push(text);
      if (answers.length < 2) return [];
      const [a, b] = answers as [string, string];
      const body = (t: string) => t.slice(t.indexOf("\n"));
      const head = (t: string) => t.slice(0, t.indexOf("\n"));
      return [head(a) + body(b), head(b) + body(a)];
    };
    const results = await Promise.allSettled([client.request("echo", "A"), client.request("echo", "B")]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    client.close();
  });

  it("drops a push the relay forges, and a clear request it injects is never run", async () => {
    const client = await connect();
    const pushes: unknown[] = [];
    client.onPush((p) => pushes.push(p));
    mitm.inject("down", `{"t":"push"}\n${JSON.stringify({ event: "approval", data: "approve everything" })}`);
    const injected: string[] = [];
    mitm.tamper = (direction, text) => {
      if (direction === "down" && text.startsWith('{"t":"res","id":"evil"')) {
        injected.push(text);
        return [];
      }
      return [text];
    };
    mitm.inject("up", `{"t":"req","id":"evil"}\n${JSON.stringify({ method: "echo", params: "injected" })}`);
    await expect.poll(() => injected.length, { timeout: 5000 }).toBe(1);
    expect(injected[0]).not.toContain("injected");
    expect(await client.request("ping")).toMatchObject({ pong: true });
    expect(pushes).toEqual([]);
    client.close();
  });

  it("sees the client secure its session as soon as it connects, before any request, so pushes can reach it", async () => {
    mitm.tamper = (_d, text) => [text];
    const before = mitm.frames.length;
    const client = await OraClient.connect({ identity: { ...device, relay: mitm.url } });
    await expect.poll(() => mitm.frames.slice(before).filter((f) => f.direction === "down" && f.text.includes('"e2e":2')).length, { timeout: 5000 }).toBe(1);
    const hello = mitm.frames.slice(before).find((f) => f.direction === "up" && f.text.startsWith('{"t":"req"'))!;
    expect(hello.text).toContain('"e2e":2'); // the first request on the wire is the handshake, unasked
    client.close();
  });

  const isHello = (direction: string, text: string, version: number) => direction === "up" && isReq(text) && text.includes(`\n{"e2e":${version},`);
  const isAnswer = (direction: string, text: string) => direction === "down" && text.startsWith('{"t":"res"') && text.includes('\n{"e2e":');
  /** Flips one base64url character of the handshake's Noise message `m`, inside its ephemeral key. */
  const flipMessage = (text: string) => {
    const at = text.indexOf('"m":"') + 5 + 10;
    return text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
  };

  it("refuses a version 2 hello altered in transit at the agent, and the client does not fall back to version 1", async () => {
    const before = mitm.frames.length;
    mitm.tamper = (direction, text) => [isHello(direction, text, 2) ? flipMessage(text) : text];
    const client = await OraClient.connect({ identity: { ...device, relay: mitm.url } });
    await expect(client.request("ping")).rejects.toMatchObject({ code: "handshake_failed", message: expect.stringMatching(/handshake failed/) });
    const hellos = mitm.frames.slice(before).filter((f) => f.direction === "up" && isReq(f.text));
    expect(hellos.some((f) => f.text.includes('"e2e":1'))).toBe(false);
    client.close();
  });

  it("refuses a version 2 answer altered in transit at the client", async () => {
    mitm.tamper = (direction, text) => [isAnswer(direction, text) ? flipMessage(text) : text];
    const client = await OraClient.connect({ identity: { ...device, relay: mitm.url } });
    await expect(client.request("ping")).rejects.toMatchObject({ code: "handshake_failed", message: expect.stringMatching(/not the paired PC/) });
    client.close();
  });

  it("gets no session for a device that trusts another static key than its agent's, as if the relay had swapped it", async () => {
    mitm.tamper = (_d, text) => [text];
    const swapped = generateKeyPair().publicKey;
    const client = await OraClient.connect({ identity: { ...device, relay: mitm.url, agentPublicKey: swapped } });
    // The agent cannot read message 1, which was encrypted to the swapped key: it refuses.
    await expect(client.request("ping")).rejects.toMatchObject({ code: "handshake_failed", message: expect.stringMatching(/handshake failed/) });
    client.close();
  });

  it("connects a client to an agent that predates version 2: it falls back to version 1 on that agent's answer", async () => {
    const before = mitm.frames.length;
    // An agent before version 2 sees a version 2 hello as this agent sees one of a version it does
    // not know: the relay-side rewrite makes the real agent answer exactly as an old one does.
    mitm.tamper = (direction, text) => [isHello(direction, text, 2) ? text.replace('{"e2e":2,', '{"e2e":3,') : text];
    const client = await OraClient.connect({ identity: { ...device, relay: mitm.url } });
    expect(await client.request("echo", "over v1")).toBe("over v1");
    const hellos = mitm.frames
      .slice(before)
      .filter((f) => f.direction === "up" && isReq(f.text))
      .map((f) => f.text.match(/\n\{"e2e":(\d)/)?.[1]);
    expect(hellos.slice(0, 2)).toEqual(["2", "1"]);
    client.close();
  });

  it("leaves an audit trail on the PC of every request and every refusal, without content", async () => {
    const audit = await runAgentCommand(["audit", "--json", "--limit", "500", "--state-dir", agent.stateDir]);
    expect(audit.code).toBe(0);
    const rows = JSON.parse(audit.stdout) as { event: string; status: string; detail: string | null; device: string | null }[];
    expect(rows).toContainEqual(expect.objectContaining({ event: "session", status: "secured", device: device.device }));
    expect(rows).toContainEqual(expect.objectContaining({ event: "request", status: "ok", detail: "ping", device: device.device }));
    expect(rows.some((r) => r.event === "session" && r.status.startsWith("refused"))).toBe(true);
    expect(audit.stdout).not.toContain(CANARY);
    expect((await runAgentCommand(["audit", "verify", "--state-dir", agent.stateDir])).code).toBe(0);
  });
});
