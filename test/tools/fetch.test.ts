import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { webFetchTool, type Resolver } from "../../node-agent/src/tools/index.js";
import { call, toolContext, toolError } from "./context.js";

/**
 * The site under test listens on 127.0.0.2, the only address the test policy allows. A "secret" server
 * listens on 127.0.0.1 at the same port, standing for everything the agent must never reach; every test
 * ends by checking nobody knocked on it.
 */
const SITE = "127.0.0.2";
let site: Server;
let secret: Server;
let port: number;
let secretHits = 0;
let hostsSeen: string[] = [];

function route(req: IncomingMessage, res: ServerResponse) {
  hostsSeen.push(req.headers.host ?? "");
  const url = new URL(req.url ?? "/", "http://x");
  switch (url.pathname) {
    case "/hello":
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("hello, world");
      return;
    case "/big":
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(Buffer.alloc(100_000, 0x62));
      return;
    case "/latin1":
      res.writeHead(200, { "content-type": "text/plain; charset=iso-8859-1" }).end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      return;
    case "/redirect":
      res.writeHead(302, { location: url.searchParams.get("to") ?? "/hello" }).end();
      return;
    case "/chain": {
      const left = Number(url.searchParams.get("n"));
      if (left <= 0) res.writeHead(200).end("end of chain");
      else res.writeHead(307, { location: `chain?n=${left - 1}` }).end();
      return;
    }
    case "/hang":
      return; // never answers
    case "/drip":
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first bytes"); // and never ends
      return;
    default:
      res.writeHead(404).end();
  }
}

function listen(server: Server, host: string, at: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(at, host, () => resolve((server.address() as AddressInfo).port));
  });
}

beforeAll(async () => {
  for (let attempt = 0; ; attempt++) {
    site = createServer(route);
    secret = createServer((_req, res) => {
      secretHits++;
      res.end("SECRET");
    });
    port = await listen(site, SITE, 0);
    try {
      await listen(secret, "127.0.0.1", port);
      return;
    } catch (err) {
      site.close();
      if (attempt === 5) throw err;
    }
  }
});

afterAll(() => {
  site.closeAllConnections();
  site.close();
  secret.close();
});

beforeEach(() => {
  secretHits = 0;
  hostsSeen = [];
});

/** A resolver that knows a few test names and counts its calls; real DNS is never asked. */
function fakeDns(names: Record<string, string[] | (() => string[])>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (hostname: string) => {
    calls.push(hostname);
    const entry = names[hostname];
    if (entry === undefined) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    const addresses = typeof entry === "function" ? entry() : entry;
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(resolver, { calls });
}

const testPolicy = (address: string) => address === SITE;
const dns = fakeDns({ "site.test": [SITE], "loopback.test": ["127.0.0.1"], "mixed.test": [SITE, "127.0.0.1"], "metadata.test": ["169.254.169.254"] });
const testFetch = webFetchTool({ isAllowedAddress: testPolicy, resolve: dns });
const siteUrl = (path: string) => `http://${SITE}:${port}${path}`;

describe("web.fetch with the default address policy", () => {
  const safe = webFetchTool({ resolve: dns });

  it("refuses loopback addresses in every spelling", async () => {
    for (const host of ["127.0.0.1", "[::1]", "2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "0.0.0.0"]) {
      await toolError(call(safe, { url: `http://${host}:${port}/` }, toolContext()), "denied");
    }
    expect(secretHits).toBe(0);
  });

  it("refuses localhost names without asking DNS", async () => {
    for (const host of ["localhost", "LOCALHOST.", "api.localhost"]) {
      await toolError(call(safe, { url: `http://${host}:${port}/` }, toolContext()), "denied");
    }
    expect(dns.calls.filter((name) => name.includes("localhost"))).toEqual([]);
    expect(secretHits).toBe(0);
  });

  it("refuses a name that resolves to loopback or to the metadata service", async () => {
    await toolError(call(safe, { url: `http://loopback.test:${port}/` }, toolContext()), "denied");
    await toolError(call(safe, { url: "http://metadata.test/latest/meta-data/" }, toolContext()), "denied");
    expect(secretHits).toBe(0);
  });

  it("refuses the test site itself, which is on loopback too", async () => {
    await toolError(call(safe, { url: siteUrl("/hello") }, toolContext()), "denied");
    expect(hostsSeen).toEqual([]);
  });

  it("refuses schemes other than http and https", async () => {
    for (const url of ["file:///etc/passwd", "ftp://site.test/x", "gopher://site.test/", "data:text/plain,hi", "javascript:alert(1)"]) {
      await toolError(call(safe, { url }, toolContext()), "denied");
    }
    await toolError(call(safe, { url: "not a url" }, toolContext()), "bad_args");
  });
});

describe("web.fetch", () => {
  it("returns status, content type and text", async () => {
    const result = await call(testFetch, { url: siteUrl("/hello") }, toolContext());
    expect(result).toMatchObject({ status: 200, contentType: "text/plain; charset=utf-8", text: "hello, world", truncated: false, bytes: 12 });
  });

  it("decodes the charset the server names", async () => {
    expect((await call(testFetch, { url: siteUrl("/latin1") }, toolContext())).text).toBe("café");
  });

  it("caps the body and says it was truncated", async () => {
    const capped = await call(testFetch, { url: siteUrl("/big") }, toolContext({ fetch: { maxBytes: 1000 } }));
    expect(capped).toMatchObject({ bytes: 1000, truncated: true });
    expect(capped.text).toHaveLength(1000);
    const lower = await call(testFetch, { url: siteUrl("/big"), maxBytes: 10 }, toolContext({ fetch: { maxBytes: 1000 } }));
    expect(lower.bytes).toBe(10);
    // A caller cannot raise the configured cap.
    expect((await call(testFetch, { url: siteUrl("/big"), maxBytes: 50_000 }, toolContext({ fetch: { maxBytes: 1000 } }))).bytes).toBe(1000);
  });

  it("refuses a name with any address the policy refuses, even if another is allowed", async () => {
    await toolError(call(testFetch, { url: `http://mixed.test:${port}/hello` }, toolContext()), "denied");
    expect(hostsSeen).toEqual([]);
  });

  it("connects to the vetted address, so a changed DNS answer at connect time is never used", async () => {
    let answers = 0;
    const rebinding = fakeDns({ "rebind.test": () => (answers++ === 0 ? [SITE] : ["127.0.0.1"]) });
    const tool = webFetchTool({ isAllowedAddress: testPolicy, resolve: rebinding });
    const result = await call(tool, { url: `http://rebind.test:${port}/hello` }, toolContext());
    expect(result.text).toBe("hello, world");
    expect(rebinding.calls).toEqual(["rebind.test"]);
    // The name is still what the server sees.
    expect(hostsSeen).toEqual([`rebind.test:${port}`]);
    expect(secretHits).toBe(0);
  });

  it("follows redirects, relative ones included, and vets every hop", async () => {
    const result = await call(testFetch, { url: siteUrl("/chain?n=3") }, toolContext());
    expect(result).toMatchObject({ status: 200, text: "end of chain", url: siteUrl("/chain?n=0") });
    expect(hostsSeen).toHaveLength(4);
  });

  it("stops after the configured number of redirects", async () => {
    await toolError(call(testFetch, { url: siteUrl("/chain?n=3") }, toolContext({ fetch: { maxRedirects: 2 } })), "failed");
    expect(hostsSeen).toHaveLength(3);
  });

  it("refuses redirects to loopback, link-local, IPv6 loopback, numeric IPv4 forms and other schemes", async () => {
    const targets = [
      `http://127.0.0.1:${port}/`,
      "http://169.254.169.254/latest/meta-data/",
      `http://[::1]:${port}/`,
      `http://2130706433:${port}/`,
      `http://0177.0.0.1:${port}/`,
      `http://[::ffff:127.0.0.1]:${port}/`,
      `http://loopback.test:${port}/`,
      "http://10.0.0.1/",
      "file:///etc/passwd",
      "ftp://site.test/",
    ];
    for (const to of targets) {
      await toolError(call(testFetch, { url: siteUrl(`/redirect?to=${encodeURIComponent(to)}`) }, toolContext()), "denied");
    }
    expect(secretHits).toBe(0);
  });

  it("times out when the server never answers, or never finishes the body", async () => {
    const quick = toolContext({ fetch: { timeoutMs: 300 } });
    await toolError(call(testFetch, { url: siteUrl("/hang") }, quick), "timeout");
    await toolError(call(testFetch, { url: siteUrl("/drip") }, toolContext({ fetch: { timeoutMs: 300 } })), "timeout");
  });

  it("stops at once when the request is cancelled", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const err = await toolError(call(testFetch, { url: siteUrl("/hang") }, toolContext({ signal: controller.signal })), "failed");
    expect(err.message).toMatch(/cancelled/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("refuses URLs that carry a user name or password", async () => {
    await toolError(call(testFetch, { url: `http://user:pw@${SITE}:${port}/hello` }, toolContext()), "bad_args");
  });

  it("is a MEDIUM tool a guest may use only when allowlisted", () => {
    expect(testFetch).toMatchObject({ name: "web.fetch", risk: "MEDIUM", guestVisible: true });
  });
});
