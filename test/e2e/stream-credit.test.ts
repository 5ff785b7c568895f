/**
 * Stream credit through the real relay and the real agent (docs/PROTOCOL.md, flow control): a
 * stream far larger than the relay's session window reaches a slow reader whole, and a reader that
 * stops holds the agent back instead of being cut off.
 */
import { OraClient } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";

/** 60,000 characters a chunk: about 80 KB sealed, so 200 chunks are ~16 MB, four times the 4 MiB window. */
const TEXT = "0123456789".repeat(6000);

describe("stream credit end to end", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let alice: ProvisionedDevice;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url);
    alice = await provisionDevice(relay, agent, "alice-phone", "owner");
  });
  afterAll(async () => {
    await agent?.stop();
    await relay?.dispose();
  });

  it("carries a stream of four session windows to a reader that takes its time, whole and in order", async () => {
    const session = await OraClient.connect({ identity: alice });
    expect(session.welcome.limits.streamWindowBytes).toBeGreaterThan(0);
    const seen: number[] = [];
    const result = await session.request(
      "echo.stream",
      { text: TEXT, count: 200 },
      {
        // Every chunk is taken on a later turn of the event loop, as a reader writing to disk would.
        onChunk: (chunk) =>
          new Promise<void>((resolve) =>
            setImmediate(() => {
              if (chunk.text === TEXT) seen.push(chunk.i);
              resolve();
            }),
          ),
      },
    );
    expect(result).toEqual({ count: 200 });
    expect(seen).toEqual([...Array(200).keys()]);
    session.close();
  });

  it("holds the agent at one window while its reader has stopped, and goes on when it reads again", async () => {
    const session = await OraClient.connect({ identity: alice });
    const window = session.welcome.limits.streamWindowBytes!;
    const held: (() => void)[] = [];
    let arrived = 0;
    let reading = false;
    const stream = session.request(
      "echo.stream",
      { text: TEXT, count: 200 },
      {
        onChunk: () => {
          arrived++;
          if (!reading) return new Promise<void>((resolve) => held.push(resolve));
        },
      },
    );
    // The reader has stopped: it takes nothing. A round trip on the same session still answers, and
    // by then the agent has sent one window's worth and waits (had it not, this session would have
    // been cut off with slow_consumer long before).
    while (arrived === 0) await session.request("ping");
    await session.request("ping");
    // Credit counts a chunk's payload as it travels: the sealed bytes in a binary frame (a little more
    // than the text), their base64url (4/3 of that) in a text one.
    expect(session.welcome.bin).toBe(true);
    const chunkBytes = TEXT.length;
    expect(arrived).toBeLessThanOrEqual(Math.ceil(window / chunkBytes) + 1);
    reading = true;
    for (const resolve of held) resolve();
    expect(await stream).toEqual({ count: 200 });
    session.close();
  });
});
