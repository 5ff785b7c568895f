/**
 * The agent's side of the relay's HTTP API against a stand-in relay on 127.0.0.1 that answers
 * whatever a test tells it to: every answer is parsed with protocol's RELAY_HTTP, and one that does
 * not fit is a RelayHttpError that says which route and which field.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { relayApi } from "ora-agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** What the stand-in relay answers next, and what it was asked. */
let reply: { status: number; body: string; headers?: Record<string, string> } = { status: 200, body: "{}" };
const seen: Seen[] = [];

const DEVICE = { id: "dev-1", name: "Phone", role: "owner", createdAt: 1, expiresAt: null, revokedAt: null, lastSeen: null };
const NODE_ID = "0123456789abcdef0123456789abcdef";

function answer(status: number, body: unknown, headers?: Record<string, string>): void {
  reply = { status, body: typeof body === "string" ? body : JSON.stringify(body), headers };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}

/** The RelayHttpError `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<InstanceType<typeof relayApi.RelayHttpError>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof relayApi.RelayHttpError)) throw new Error(`expected a RelayHttpError, got ${String(error)}`);
  return error;
}

describe("the relay's HTTP API, as the agent reads it", () => {
  let server: Server;
  let relay: string;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization, body: await readBody(req) });
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    relay = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("reads a well-formed answer and ignores keys it does not know", async () => {
    answer(200, { devices: [{ ...DEVICE, colour: "blue" }], next: null });
    expect(await relayApi.listDevices(relay, "ora_node_x")).toEqual([DEVICE]);
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/v1/node/devices", authorization: "Bearer ora_node_x" });
  });

  it("sends each call's method, escaped path and JSON body as the contract says", async () => {
    answer(200, DEVICE);
    await relayApi.renameDevice(relay, "ora_node_x", "a/b c", "Phone");
    expect(seen.at(-1)).toMatchObject({ method: "PATCH", url: "/v1/node/devices/a%2Fb%20c", body: '{"name":"Phone"}' });
    answer(200, { closedSessions: 2 });
    expect(await relayApi.rotateDevice(relay, "ora_node_x", "dev-1")).toEqual({ closedSessions: 2 });
    expect(seen.at(-1)).toMatchObject({ method: "POST", url: "/v1/node/devices/dev-1/rotate", body: "" });
  });

  it("turns an answer that is not JSON into a malformed-answer error naming the route", async () => {
    answer(201, "<html>welcome to my router</html>");
    const error = await failure(relayApi.registerNode(relay));
    expect(error.reason).toBe("malformed");
    expect(error.status).toBe(201);
    expect(error.exitCode).toBe(3);
    expect(error.message).toContain(`the relay at ${relay} answered POST /v1/nodes with a body that is not JSON`);
    expect(error.message).toContain("ORA relay");
  });

  it("turns an answer of the wrong shape into an error naming the field, never a half-read value", async () => {
    answer(200, { devices: [{ ...DEVICE, role: "king" }] });
    const wrongRole = await failure(relayApi.listDevices(relay, "ora_node_x"));
    expect(wrongRole.reason).toBe("malformed");
    expect(wrongRole.message).toContain("GET /v1/node/devices");
    expect(wrongRole.message).toContain("devices.0.role");

    // A registration without its credential must not be saved as one.
    answer(201, { nodeId: NODE_ID });
    expect((await failure(relayApi.registerNode(relay))).message).toContain("(credential:");

    answer(201, DEVICE);
    const minted = await failure(relayApi.mintDevice(relay, "ora_node_x", { name: "Phone", role: "owner" }));
    expect(minted.message).toContain("POST /v1/node/devices");
    expect(minted.message).toContain("credential");

    answer(200, { closedSessions: -1 });
    expect((await failure(relayApi.revokeDevice(relay, "ora_node_x", "dev-1"))).message).toContain("closedSessions");
  });

  it("reports a refusal with the relay's code and message, and Retry-After when rate-limited", async () => {
    answer(429, { code: "rate_limited", message: "too many registrations from this address; try later" }, { "Retry-After": "42" });
    const limited = await failure(relayApi.registerNode(relay));
    expect(limited).toMatchObject({ reason: "refused", status: 429, code: "rate_limited" });
    expect(limited.message).toBe("the relay refused: too many registrations from this address; try later [rate_limited] (retry after 42 s)");
  });

  it("reports a refusal whose body is not the relay's error shape by its HTTP status", async () => {
    answer(502, "Bad Gateway");
    const refused = await failure(relayApi.listDevices(relay, "ora_node_x"));
    expect(refused).toMatchObject({ reason: "refused", status: 502, code: null });
    expect(refused.message).toContain("[502]");
  });

  it("says so when the relay cannot be reached", async () => {
    const gone = createServer();
    await new Promise<void>((resolve) => gone.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
    await new Promise((resolve) => gone.close(resolve));
    const error = await failure(relayApi.listDevices(url, "ora_node_x"));
    expect(error.reason).toBe("unreachable");
    expect(error.message).toContain(`cannot reach the relay at ${url}`);
  });
});
