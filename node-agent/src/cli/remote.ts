import { type ChatChunk, generateKeyPair, OraClient, OraError, pairDevice, PairingCodeError, staticKey } from "@ora/protocol";
import { hostname } from "node:os";
import { resolveConfig } from "../config.js";
import { identityOf, readDevice, remoteDir, saveDevice, updateCredential, type DeviceFile } from "../remote/device-file.js";
import { UserError } from "../errors.js";
import { escapeControls } from "../text.js";
import { taskLine } from "./task-line.js";
import type { Command } from "./command.js";

export const remoteCommand: Command = {
  summary: "use a secretary on another PC from this terminal (remote pair | ask | call | status)",
  usage: `Usage: ora-agent remote pair <code-or-link> [--name <name>] [--relay <url>]
       ora-agent remote ask "<message>"
       ora-agent remote call <method> [<json params>]
       ora-agent remote tasks [--all]
       ora-agent remote status

This computer becomes a paired device of another PC's agent, end to end
encrypted through the relay. Run "ora-agent pair" on that PC first, then give
its code (like 7-orbit-velvet-cannon) or its link to "remote pair". The keys live
in their own directory (--state-dir, env ORA_REMOTE_DIR; default
~/.local/share/ora/remote), readable only by you.

A call that needs the PC owner's approval becomes a task on that PC: "ask" says
so at once, and "remote tasks" shows how your tasks ended (--all: finished ones too).

  --name <name>        how this computer introduces itself (default: its host name)
  --json               print results as JSON`,
  options: { name: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" } },
  async run({ flags, positionals }) {
    const dir = remoteDir(flags["state-dir"] as string | undefined);
    const [action, ...rest] = positionals;
    switch (action) {
      case "pair":
        return pair(dir, rest[0], flags);
      case "ask":
        return withClient(dir, async (client) => {
          const text = rest.join(" ").trim();
          if (!text) throw new UserError('what to ask? ora-agent remote ask "…"');
          const progress = new ChatProgress();
          const result = await client.request("chat", { text }, { onChunk: (chunk) => progress.show(chunk) });
          progress.end();
          if (flags.json === true) print(result, true);
          else if (!progress.streamedText) process.stdout.write(`${result.text}\n`);
        });
      case "call":
        return withClient(dir, async (client) => {
          const [method, json] = rest;
          if (!method) throw new UserError("which method? ora-agent remote call <method> [<json params>]");
          print(await client.call(method, parseJson(json), { onChunk: (chunk) => print(chunk, true) }), flags.json === true);
        });
      case "tasks":
        return withClient(dir, async (client) => {
          const { tasks } = await client.request("tasks.list", { open: flags.all !== true });
          if (flags.json === true) return print(tasks, true);
          if (tasks.length === 0) return void process.stdout.write(flags.all === true ? "no tasks\n" : "no open tasks (--all shows finished ones)\n");
          for (const task of tasks) process.stdout.write(`${taskLine(task)}\n`);
        });
      case "status": {
        const device = readDevice(dir);
        if (!device) throw new UserError(`not paired yet (no device in ${dir}); run ora-agent remote pair <code>`);
        return withClient(dir, async (client) => {
          await client.request("ping");
          process.stdout.write(`paired as "${device.name}" (${device.role}) with Node ${device.node} via ${device.relay}; the PC is online\n`);
        });
      }
      default:
        throw new UserError(
          action === undefined ? "which action? pair, ask, call, tasks or status (ora-agent remote --help)" : `unknown remote action "${action}"`,
        );
    }
  },
};

async function pair(dir: string, code: string | undefined, flags: Record<string, string | boolean | undefined>): Promise<number> {
  if (!code) throw new UserError("which code? ora-agent remote pair <code-or-link>");
  const existing = readDevice(dir);
  if (existing) throw new UserError(`${dir} is already paired with Node ${existing.node}; use another --state-dir to pair again`);
  const relay = /^https?:\/\//i.test(code) ? undefined : resolveConfig({ relay: flags.relay as string | undefined }).relay;
  const name = typeof flags.name === "string" && flags.name.trim() ? flags.name.trim().slice(0, 64) : hostname().slice(0, 64) || "terminal";
  const pair = generateKeyPair();
  try {
    const paired = await pairDevice({
      code,
      relay,
      name,
      key: staticKey(pair.secretKey),
      onVerification: (digits) => process.stdout.write(`Verification digits: ${digits}. Check that the PC shows the same, and confirm there.\n`),
    });
    const file = saveDevice(dir, paired.grant, paired.identity.relay, pair.secretKey);
    process.stdout.write(`Paired as "${file.name}" (${file.role}) with Node ${file.node}. Try: ora-agent remote ask "hello"\n`);
    return 0;
  } catch (error) {
    if (error instanceof PairingCodeError) throw new UserError(error.message, 2);
    if (error instanceof OraError && error.code === "not_found")
      throw new UserError("no such pairing code at the relay (check the number, or ask for a new code) [not_found]", 3);
    throw explain(error);
  } finally {
    pair.secretKey.fill(0);
  }
}

async function withClient(dir: string, use: (client: OraClient) => Promise<void>): Promise<number> {
  const device: DeviceFile | null = readDevice(dir);
  if (!device) throw new UserError(`not paired yet (no device in ${dir}); run ora-agent remote pair <code>`);
  let client: OraClient | undefined;
  try {
    client = await OraClient.connect({ identity: identityOf(device), onCredentialRotated: (credential) => updateCredential(dir, credential) });
    if (!client.online) throw new UserError("the PC is offline: is ora-agent start running there?", 3);
    await use(client);
    return 0;
  } catch (error) {
    throw explain(error);
  } finally {
    client?.close();
  }
}

/** Relay and agent refusals in words a person understands. */
function explain(error: unknown): unknown {
  if (!(error instanceof OraError)) return error;
  const words: Partial<Record<OraError["code"], string>> = {
    unauthorized: "the relay no longer accepts this device (revoked or expired): pair again",
    node_offline: "the PC is offline: is ora-agent start running there?",
    timeout: "the PC did not answer in time",
    crowded: "someone else already used this code: ask for a new one",
    expired: "the code expired: ask for a new one",
    pairing_failed: "pairing failed: the code was wrong; it is now burnt, ask for a new one",
    rate_limited: "too many attempts; wait a minute and try again",
    handshake_failed: "the PC could not prove its identity: this device may have been removed on the PC; pair again",
    tampered: "an answer failed end-to-end verification (something between here and the PC altered it)",
  };
  return new UserError(`${words[error.code] ?? error.message} [${error.code}]`, 3);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new UserError(`params must be JSON, e.g. '{"text":"hi"}'`);
  }
}

/** What `chat` streams, as terminal lines: the answer's text as it comes, each tool step on its own line. */
class ChatProgress {
  streamedText = false;
  private midLine = false;

  show(chunk: ChatChunk): void {
    if (chunk.type === "text") {
      this.streamedText = true;
      this.midLine = !chunk.delta.endsWith("\n");
      return void process.stdout.write(escapeControls(chunk.delta));
    }
    if (chunk.task) return this.line(`${chunk.name}: waiting for the owner's approval — task ${chunk.task}; you'll be told (ora-agent remote tasks)`);
    this.line(`${chunk.name}: ${chunk.status.replaceAll("_", " ")}${chunk.error ? ` (${escapeControls(chunk.error)})` : ""}`);
  }

  /** Ends the streamed answer with a newline, so that the shell's prompt starts on its own line. */
  end(): void {
    if (this.midLine) process.stdout.write("\n");
    this.midLine = false;
  }

  private line(text: string): void {
    this.end();
    process.stdout.write(`[${text}]\n`);
  }
}

function print(value: unknown, json: boolean): void {
  process.stdout.write(`${typeof value === "string" && !json ? escapeControls(value) : JSON.stringify(value, null, 2)}\n`);
}
