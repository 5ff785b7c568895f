/**
 * The agent's device methods that the web client's Devices page uses: owners list, rename and revoke
 * paired devices through the PC (which holds the Node credential); anyone else is refused.
 */
import { type DeviceRow, OraClient } from "@ora/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStateDir, runAgentCommand, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";

describe("device methods over the relay", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let owner: OraClient;
  let ownerId: string;

  beforeAll(async () => {
    relay = await startRelay();
    agent = await startAgent(relay.url, newStateDir());
    const identity = await provisionDevice(relay, agent, "phone", "owner");
    ownerId = identity.device;
    owner = await OraClient.connect({ identity });
  });
  afterAll(async () => {
    owner?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("lists every device with its role and last seen, marking the caller", async () => {
    await provisionDevice(relay, agent, "tablet", "guest");
    const { devices } = await owner.request("devices.list");
    expect(devices.find((d) => d.id === ownerId)).toMatchObject({ name: "phone", role: "owner", state: "active", self: true, lastSeen: expect.any(String) });
    expect(devices.find((d) => d.name === "tablet")).toMatchObject({ role: "guest", self: false });
  });

  it("renames a device both at the relay and in the PC's own records", async () => {
    const guest = await provisionDevice(relay, agent, "old name", "guest");
    expect(await owner.request("devices.rename", { id: guest.device, name: "Kitchen tablet" })).toEqual({ id: guest.device, name: "Kitchen tablet" });
    const cli = JSON.parse((await runAgentCommand(["devices", "--json", "--state-dir", agent.stateDir])).stdout) as DeviceRow[];
    expect(cli.find((d) => d.id === guest.device)?.name).toBe("Kitchen tablet");
    await expect(owner.request("devices.rename", { id: guest.device, name: " " })).rejects.toMatchObject({ code: "bad_params" });
  });

  it("revokes a device, which closes its live session at once", async () => {
    const identity = await provisionDevice(relay, agent, "lost phone", "sub-admin");
    const lost = await OraClient.connect({ identity });
    await lost.request("ping");
    const closed = new Promise<number>((resolve) => lost.onClose(resolve));
    expect(await owner.request("devices.revoke", { id: identity.device })).toEqual({ closedSessions: 1 });
    expect(await closed).toBe(4003);
    const { devices } = await owner.request("devices.list");
    expect(devices.find((d) => d.id === identity.device)?.state).toBe("revoked");
    await expect(owner.request("devices.revoke", { id: identity.device })).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses guests and sub-admins with forbidden", async () => {
    for (const role of ["guest", "sub-admin"] as const) {
      const other = await OraClient.connect({ identity: await provisionDevice(relay, agent, role, role) });
      await expect(other.request("devices.list")).rejects.toMatchObject({ code: "forbidden" });
      await expect(other.request("devices.revoke", { id: ownerId })).rejects.toMatchObject({ code: "forbidden" });
      await expect(other.request("devices.rename", { id: ownerId, name: "mine now" })).rejects.toMatchObject({ code: "forbidden" });
      other.close();
    }
  });
});
