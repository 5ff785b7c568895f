import { hostname } from "node:os";
import type { Role } from "@ora/protocol";
import { Connector, type ConnectorState } from "../relay/connector.js";
import { loadOrCreateIdentity } from "../secure/identity.js";
import { PairedDevices } from "../secure/paired-devices.js";
import { SecureSessions } from "../secure/secure-sessions.js";
import { startControlServer } from "../control/server.js";
import { builtinHandlers } from "../handlers.js";
import { chatProviderFrom, loadProviders } from "../llm/config.js";
import { createLogger } from "../log.js";
import { loadMcpConfig, startMcp } from "../mcp/index.js";
import { Memory, MEMORY_MIGRATIONS } from "../memory/index.js";
import { DISCORD_MIGRATIONS, type DiscordChannel, startDiscord } from "../channels/discord/index.js";
import { mayDecide, registerApprovalMethods } from "../methods/approvals.js";
import { registerChatMethod } from "../methods/chat.js";
import { registerConversationMethods } from "../methods/conversations.js";
import { registerRuleMethods } from "../methods/rules.js";
import { startLockdown } from "../lockdown/index.js";
import { registerDeviceMethods } from "../methods/devices.js";
import { registerFileMethods } from "../files/index.js";
import { registerTaskMethods } from "../methods/tasks.js";
import { registerToolMethods } from "../methods/tools.js";
import { NOTIFY_MIGRATIONS, startNotifications } from "../notify/index.js";
import { registerPasskeyMethods } from "../methods/passkeys.js";
import { PASSKEY_MIGRATIONS, passkeysFor } from "../passkeys/index.js";
import { userOf } from "../safety/requester.js";
import { SCHEDULE_MIGRATIONS, startSchedules, userTimeZone } from "../schedule/index.js";
import { continueAfterTasks } from "../secretary/resume.js";
import { createSafety } from "../safety/index.js";
import { builtinTools, detectSandbox, toolConfigFromEnv } from "../tools/index.js";
import { loadOrRegister } from "../relay/registration.js";
import { releaseAnnouncer } from "../update/notice.js";
import { AGENT_VERSION } from "../version.js";
import { ensureStateDir, writeStatus } from "../state.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";

export const startCommand: Command = {
  usage: `Usage: ora-agent start [options]

Registers this PC with the relay on first run (the Node credential is kept in the
state directory, readable only by you), then keeps one outbound connection to the
relay and answers requests until Ctrl-C. It reconnects by itself when the network
or the relay goes away.

  --verbose            log every connection event
Environment: ORA_REGISTRATION_SECRET when the relay requires one to register;
ORA_TIME_ZONE (an IANA name such as Asia/Tokyo) to read reminder times in another
zone than this PC's.`,
  options: { verbose: { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags, { quiet: true });
    ensureStateDir(config.stateDir);
    const log = createLogger(flags.verbose ? "debug" : "info");
    const node = await loadOrRegister(config.relay, config.stateDir);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`ora-agent: Node ${node.nodeId} (${config.profile} profile on ${hostname()}, state ${config.stateDir}) → ${config.relay}`);

    const status = (state: ConnectorState) => {
      const since = new Date().toISOString();
      const detail = state.status === "stopped" || state.status === "waiting" ? state.reason : undefined;
      writeStatus(config.stateDir, { pid: process.pid, relay: config.relay, nodeId: node.nodeId, status: state.status, since, detail, version: AGENT_VERSION });
      if (state.status !== "connected") return;
      void lockdown.sync();
      releases(state.releases);
      out("ora-agent: connected; waiting for requests (Ctrl-C to stop)");
    };
    const toolConfig = toolConfigFromEnv(process.env, config.stateDir);
    const sandbox = detectSandbox(process.env);
    if (sandbox.kind === "none") log.warn("programs run without a sandbox", { reason: sandbox.reason, fix: sandbox.fix });
    const confinement = { sandbox, roots: toolConfig.roots, excluded: toolConfig.excluded ?? [] };
    const mcp = await startMcp(loadMcpConfig(config.stateDir), log, { confinement });
    const safety = createSafety({
      stateDir: config.stateDir,
      profile: config.profile,
      env: process.env,
      tools: [...builtinTools({ sandbox }), ...mcp.tools],
      toolConfig,
      migrations: [MEMORY_MIGRATIONS, NOTIFY_MIGRATIONS, SCHEDULE_MIGRATIONS, DISCORD_MIGRATIONS, PASSKEY_MIGRATIONS],
    });
    const providers = loadProviders(config.stateDir, process.env);
    const provider = chatProviderFrom(providers.usable);
    for (const p of providers.all) if (!p.usable) log.info("model provider disabled", { name: p.name, reason: p.reason });
    out(
      provider
        ? `ora-agent: chat answered by ${providers.usable.map((p) => p.id).join(", then ")}`
        : `ora-agent: no language model configured; chat offers direct commands only (see: ${config.cli("models")})`,
    );
    const handlers = builtinHandlers();
    registerToolMethods(handlers, safety);
    const passkeys = passkeysFor(safety, config.relay, node.nodeId);
    registerApprovalMethods(handlers, safety, passkeys);
    registerPasskeyMethods(handlers, passkeys);
    registerRuleMethods(handlers, safety);
    registerDeviceMethods(handlers, node, new PairedDevices(config.stateDir));
    const memory = new Memory(safety.db);
    registerConversationMethods(handlers, memory);
    registerTaskMethods(handlers, safety);
    registerFileMethods(handlers, safety, toolConfig, process.env);
    const notifications = startNotifications({ node, safety, handlers, paired: new PairedDevices(config.stateDir), log });
    const releases = releaseAnnouncer({
      stateDir: config.stateDir,
      profile: config.profile,
      current: AGENT_VERSION,
      paired: new PairedDevices(config.stateDir),
      notifier: notifications.notifier,
      out,
      log,
    });
    const control = await startControlServer(handlers, config.stateDir, log);
    const secure = new SecureSessions(loadOrCreateIdentity(config.stateDir), new PairedDevices(config.stateDir));
    const connector = new Connector({
      relay: config.relay,
      credential: node.credential,
      handlers,
      secure,
      log,
      onState: status,
      onAudit: ({ event, who, method, status: outcome, durationMs }) =>
        safety.audit.record({ event, who, status: outcome, ...(method ? { detail: method } : {}), ...(durationMs === undefined ? {} : { durationMs }) }),
    });
    // Approval events go to the devices that could decide them; with none connected, the approval
    // simply waits (and expires, which is a deny).
    safety.approvals.onChange((event) => connector.push("approval", { type: event.type, approval: event.approval }, (device) => mayDecide(device, event)));
    // A task's requester hears how it goes, wherever it is connected now; owners see every task.
    safety.tasks.onChange((task) => connector.push("task", { task }, (device) => device.role === "owner" || device.id === task.requester.device));
    // Lockdown: its methods, its push to every session, and the relay's copy (sent again on each connect while locked).
    const lockdown = startLockdown({
      safety,
      node,
      handlers,
      push: (status) => connector.push("lockdown", { lockdown: status }),
      // An owner device ends it only with a fresh passkey assertion (user verification) for "unlock".
      verifyExit: (requester, proof) => passkeys.confirmsUnlock(requester, proof),
      log,
    });
    const toUser = (user: string) => (device: { id: string; role: Role }) => userOf(device.id, device.role) === user;
    const schedules = startSchedules({
      node,
      safety,
      handlers,
      paired: new PairedDevices(config.stateDir),
      subscriptions: notifications.subscriptions,
      notifier: notifications.notifier,
      memory,
      secretary: provider ? { provider } : undefined,
      push: (user, event) =>
        event.type === "conversation"
          ? connector.push("conversation", { conversation: event.conversation, message: event.message }, toUser(user))
          : connector.push("schedule", { schedule: event.schedule, ...(event.run ? { run: event.run } : {}) }, toUser(user)),
      timeZone: userTimeZone(process.env),
      log,
    });
    registerChatMethod(handlers, safety, provider ? { provider, memory } : undefined, schedules.service);
    let discord: DiscordChannel | null = null;
    if (provider) {
      continueAfterTasks(
        { provider, safety, memory },
        (resumed) => {
          connector.push("conversation", { conversation: resumed.conversation, message: resumed.message }, toUser(resumed.user));
          discord?.tellConversation(resumed);
        },
        log,
      );
    }
    // Discord, when configured: a second front-end onto the same handlers, connected on its own.
    discord = await startDiscord({ stateDir: config.stateDir, env: process.env, safety, handlers, log, cli: config.cli });
    // Tasks approved, denied or expired while the agent was away move on now that someone can hear of it.
    safety.tasks.recover();
    const stop = () => void connector.stop("shutting down");
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const final = await connector.run();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await discord?.close();
    await control.close();
    await mcp.close();
    await schedules.close();
    await notifications.close();
    safety.close();
    if (final.status === "stopped" && final.fatal) throw new UserError(final.reason, 4);
    out("ora-agent: stopped");
    return 0;
  },
};
