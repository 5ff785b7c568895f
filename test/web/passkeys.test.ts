/**
 * Passkeys for approvals in a real Chromium with the DevTools protocol's virtual authenticator
 * (platform authenticator with user verification), against the real relay and agent. The page is
 * opened at http://localhost:<port>: WebAuthn refuses an IP address as the relying party, and the
 * agent, registered with the loopback relay, names `localhost` as its RP ID.
 *
 * What a stolen unlocked phone cannot do is shown from the device's own sessions: an OraClient of the
 * same paired device (or of a second one) sends what a browser made, and the PC refuses with typed
 * errors while the approval keeps waiting.
 */
import { OraClient, type OraError, type PasskeyAssertion, type PasskeyRequestOptions } from "@ora/protocol";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { controlRequest } from "../../node-agent/src/control/client.js";
import { newStateDir, startAgent, type AgentProcess } from "../helpers/agent.js";
import { provisionDevice, type ProvisionedDevice } from "../helpers/device.js";
import { startRelay, type Relay } from "../helpers/relay.js";
import { watchTasks } from "../helpers/tasks.js";
import { launchChromium, openPaired, phone, screenshot, type TestPage } from "./browser.js";

describe("passkeys for approvals in the web client", () => {
  let relay: Relay;
  let agent: AgentProcess;
  let browser: Browser;
  let phoneA: TestPage;
  let cdp: CDPSession;
  let authenticatorId: string;
  let deviceA: ProvisionedDevice;
  let deviceB: ProvisionedDevice;
  let a: OraClient; // a second session of the phone's own paired device
  let b: OraClient; // another owner device
  let origin: string;
  const root = mkdtempSync(join(tmpdir(), "ora-web-passkeys-"));

  /** A CRITICAL call from device B that waits for approval; resolves with its task and approval ids. */
  const critical = async (text: string) => {
    const run = await b.request("tools.call", { name: "run.program", args: { argv: ["echo", text], root: 0 } });
    if (run.status !== "waiting") throw new Error("run.program should wait for an approval");
    return { task: run.task.id, approval: run.task.approval! };
  };
  /** What the browser's authenticator answers to `options` (as the app would send it), made in the page. */
  const assertIn = (page: Page, options: PasskeyRequestOptions, userVerification: "required" | "discouraged" = "required") =>
    page.evaluate(
      async ({ options, userVerification }) => {
        const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON({ ...options, userVerification });
        const credential = (await navigator.credentials.get({ publicKey })) as PublicKeyCredential;
        return credential.toJSON();
      },
      { options, userVerification },
    ) as Promise<PasskeyAssertion>;
  const challengeFor = async (client: OraClient, approval: string) => (await client.request("passkeys.challenge", { purpose: "approve", approval })).options;
  const status = async (id: string) => (await controlRequest(agent.stateDir, "approvals.list", {})).approvals.find((x) => x.id === id)?.status ?? "gone";
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "accepted",
      (error: OraError) => error.code,
    );

  beforeAll(async () => {
    relay = await startRelay();
    origin = relay.url.replace("127.0.0.1", "localhost");
    agent = await startAgent(relay.url, newStateDir(), { ORA_PROFILE: "private", ORA_TOOL_ROOTS: root });
    deviceA = await provisionDevice(relay, agent, "Owner phone", "owner");
    deviceB = await provisionDevice(relay, agent, "Owner laptop", "owner");
    a = await OraClient.connect({ identity: deviceA });
    b = await OraClient.connect({ identity: deviceB });
    browser = await launchChromium();
    phoneA = await phone(browser);
    cdp = await phoneA.context.newCDPSession(phoneA.page);
    await cdp.send("WebAuthn.enable");
    ({ authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    }));
    await openPaired(phoneA.page, { ...deviceA, relay: origin, node: agent.node().nodeId, name: "Owner phone", role: "owner" });
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await phoneA?.context.close();
    await browser?.close();
    await agent?.stop();
    await relay?.dispose();
  });

  it("registers a passkey in Settings, then approves a CRITICAL call with it, and the tool runs", async () => {
    const { page } = phoneA;
    await page.click("#tab-settings");
    const card = page.locator(".passkeys-card");
    await expect.poll(() => card.innerText()).toMatch(/No passkey on this device yet/);
    // The app asks for the list before the PC is reachable too; once it loads, no stale "not connected" stays.
    await expect.poll(() => card.locator(".passkey-status").innerText()).toBe("");
    await card.locator("button.add-passkey").click();
    await expect.poll(async () => (await card.locator(".passkey").count()) || (await card.locator(".passkey-status").innerText())).toBe(1);
    expect(await card.locator(".passkey").innerText()).toMatch(/Owner phone · added .* · not used yet/);
    await screenshot(page, "passkey-1-settings");

    const tasks = watchTasks(b);
    const call = await critical("approved with a passkey");
    await page.click("#tab-approvals");
    const approval = page.locator(`.approval[data-id="${call.approval}"]`);
    await expect.poll(() => approval.innerText()).toMatch(/CRITICAL/);
    // No code on the device, and the way at the PC to paste.
    expect(await approval.locator(".shown-code, .approval-code").count()).toBe(0);
    expect(await approval.locator(".pc-command").innerText()).toBe(`ora-agent approve ${call.approval} --code <code shown by: ora-agent approvals>`);
    await screenshot(page, "passkey-2-critical");
    await approval.locator("button.approve").click();
    await expect.poll(() => page.locator(".inbox .notice").innerText()).toMatch(/Approved run\.program/);
    expect(await tasks.ended(call.task)).toMatchObject({ state: "done", result: { stdout: "approved with a passkey\n" } });
    tasks.stop();
    expect((await a.request("passkeys.list")).passkeys[0]!.lastUsedAt).not.toBeNull();
  });

  it("refuses, with typed errors and the approval still waiting: no passkey, a code, no user verification, other args, a replay, another device", async () => {
    const { page } = phoneA;
    const first = await critical("first");
    const second = await critical("second");
    const { code } = (await controlRequest(agent.stateDir, "approvals.list", {})).approvals.find((x) => x.id === first.approval)!;
    expect(code).toMatch(/^\d{6}$/);
    expect((await a.request("approvals.list")).approvals.find((x) => x.id === first.approval)?.code).toBeUndefined();

    // An owner device without an assertion, or with the code read off the PC.
    expect(await refusal(a.request("approvals.decide", { id: first.approval, verdict: "approve" }))).toBe("passkey_required");
    expect(await refusal(a.request("approvals.decide", { id: first.approval, verdict: "approve", code: code! }))).toBe("passkey_required");

    // The authenticator does not verify the user (the phone is unlocked, but the finger is not the owner's).
    await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: false });
    const unverified = await assertIn(page, await challengeFor(a, first.approval), "discouraged");
    await cdp.send("WebAuthn.setUserVerified", { authenticatorId, isUserVerified: true });
    expect(await refusal(a.request("approvals.decide", { id: first.approval, verdict: "approve", assertion: unverified }))).toBe("passkey_refused");

    // An assertion for the harmless approval, presented for the other one; then replayed for its own.
    const forFirst = await assertIn(page, await challengeFor(a, first.approval));
    expect(await refusal(a.request("approvals.decide", { id: second.approval, verdict: "approve", assertion: forFirst }))).toBe("passkey_refused");
    expect(await refusal(a.request("approvals.decide", { id: first.approval, verdict: "approve", assertion: forFirst }))).toBe("passkey_refused");

    // Another device's session presenting the phone's passkey: without a passkey of its own it gets no
    // challenge, and the phone's fresh assertion is not its to use.
    expect(await refusal(b.request("passkeys.challenge", { purpose: "approve", approval: first.approval }))).toBe("passkey_required");
    const fresh = await assertIn(page, await challengeFor(a, first.approval));
    expect(await refusal(b.request("approvals.decide", { id: first.approval, verdict: "approve", assertion: fresh }))).toBe("passkey_refused");

    expect(await status(first.approval)).toBe("pending");
    expect(await status(second.approval)).toBe("pending");
    // The phone's own fresh assertion still counts, since the other device could not burn its challenge.
    expect(await a.request("approvals.decide", { id: first.approval, verdict: "approve", assertion: fresh })).toEqual({
      id: first.approval,
      status: "approved",
    });
  });

  it("says in plain words that this device has no passkey, with the way at the PC", async () => {
    const { page } = phoneA;
    const call = await critical("no passkey");
    for (const p of (await a.request("passkeys.list")).passkeys) await a.request("passkeys.remove", { id: p.id });
    await page.click("#tab-approvals");
    const approval = page.locator(`.approval[data-id="${call.approval}"]`);
    await approval.locator("button.approve").click();
    await expect
      .poll(() => approval.locator(".status").innerText())
      .toMatch(/This device has no passkey for approvals yet\. Add one in Settings, or approve at the PC/);
    expect(await approval.locator(".pc-command").innerText()).toContain(`ora-agent approve ${call.approval} --code`);
    await screenshot(page, "passkey-3-no-passkey");
    expect(await status(call.approval)).toBe("pending");
  });

  it("ends a lockdown with this device's passkey, from Settings", async () => {
    const { page } = phoneA;
    await page.click("#tab-settings");
    const card = page.locator(".passkeys-card");
    await card.locator("button.add-passkey").click();
    await expect.poll(() => card.locator(".passkey").count()).toBe(1);
    await page.locator(".lockdown-start").click();
    await page.locator(".lockdown-confirm").click();
    await expect.poll(() => page.locator(".lockdown-banner").isVisible()).toBe(true);
    expect((await controlRequest(agent.stateDir, "lockdown.status", {})).lockdown.locked).toBe(true);
    await screenshot(page, "passkey-4-locked");

    await page.locator(".lockdown-unlock").click();
    await expect.poll(() => page.locator(".lockdown .status").innerText()).toMatch(/^Lockdown ended/);
    expect(await page.locator(".lockdown-banner").isVisible()).toBe(false);
    expect((await controlRequest(agent.stateDir, "lockdown.status", {})).lockdown.locked).toBe(false);
  });

  it("logged no console errors", () => {
    expect(phoneA.errors).toEqual([]);
  });
});
