/**
 * The method catalogue at both ends of a real relay: the agent's registry refuses what the catalogue
 * does not allow, and the client refuses answers that do not match it. The agent here is the real
 * Connector in this process, with handlers that break the contract on purpose.
 */
import { OraClient } from "@ora/protocol";
import { builtinHandlers, Connector, createLogger, HandlerRegistry, loadOrCreateIdentity, PairedDevices, SecureSessions } from "ora-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { until } from "../helpers/peer.js";
import { startRelay, type Relay } from "../helpers/relay.js";

let relay: Relay;
let connector: Connector;
const stateDir = newStateDir();
let credential: string;

/** Handlers that answer in shapes the catalogue does not allow (a broken or hostile agent). */
function contractBreakers(): HandlerRegistry {
  return new HandlerRegistry()
    .register("whoami", () => ({ device: 42 }) as never)
    .register("echo.stream", (_params, { emit }) => {
      emit({ i: "zero" } as never);
      return { count: 1 };
    });
}

beforeAll(async () => {
  relay = await startRelay();
  ({ credential } = await relay.register());
  let connected = false;
  connector = new Connector({
    relay: relay.url,
    credential,
    handlers: contractBreakers(),
    secure: new SecureSessions(loadOrCreateIdentity(stateDir), new PairedDevices(stateDir)),
    log: createLogger("error"),
    onState: (state) => (connected ||= state.status === "connected"),
  });
  void connector.run();
  await until(() => connected, 5000, "the agent connected");
});

afterAll(async () => {
  await connector?.stop();
  await relay?.dispose();
});

describe("the method catalogue over a real relay", () => {
  it("rejects a result that does not match the catalogue with bad_answer instead of handing it over", async () => {
    const owner = await OraClient.connect({ identity: await provisionDevice(relay, { stateDir, node: () => ({ credential }) }, "owner-phone") });
    await expect(owner.request("whoami")).rejects.toMatchObject({ code: "bad_answer", message: expect.stringContaining("whoami") });
    // The raw call shows what arrived: the agent did answer, the client refused the shape.
    await expect(owner.call("whoami")).resolves.toEqual({ device: 42 });
    owner.close();
  });

  it("rejects a streamed chunk that does not match the catalogue and stops the request", async () => {
    const owner = await OraClient.connect({ identity: await provisionDevice(relay, { stateDir, node: () => ({ credential }) }, "owner-laptop") });
    const seen: unknown[] = [];
    await expect(owner.request("echo.stream", { text: "x", count: 1 }, { onChunk: (chunk) => seen.push(chunk) })).rejects.toMatchObject({ code: "bad_answer" });
    expect(seen).toEqual([]);
    owner.close();
  });

  it("refuses a method the caller's role may not call, and one the agent does not offer", async () => {
    const guest = await OraClient.connect({ identity: await provisionDevice(relay, { stateDir, node: () => ({ credential }) }, "guest-tablet", "guest") });
    await expect(guest.request("devices.list")).rejects.toMatchObject({ code: "forbidden", message: "devices.list is for owner devices" });
    await expect(guest.request("approvals.list")).rejects.toMatchObject({ code: "forbidden" });
    await expect(guest.request("tools.list")).rejects.toMatchObject({ code: "unknown_method" });
    guest.close();
  });
});

describe("the agent's handler registry", () => {
  it("refuses a handler for a method the catalogue does not have", () => {
    expect(() => new HandlerRegistry().register("no.such.method" as never, () => undefined as never)).toThrow(/not in the protocol's method catalogue/);
  });

  it("refuses a second handler for the same method", () => {
    expect(() => builtinHandlers().register("ping", () => ({ pong: true as const, time: "" }))).toThrow(/already registered/);
  });
});
