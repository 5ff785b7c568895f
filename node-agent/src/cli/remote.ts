import { type ChatChunk, generateKeyPair, OraClient, OraError, pairDevice, PairingCodeError, staticKey } from "@ora/protocol";
import { hostname } from "node:os";
import { resolveConfig } from "../config.js";
import { identityOf, readDevice, remoteDir, saveDevice, updateCredential, type DeviceFile } from "../remote/device-file.js";
import { UserError } from "../errors.js";
import { escapeControls } from "../text.js";
import { explainCall, explainConnection, OFFLINE } from "./remote-errors.js";
import { taskLine } from "./task-line.js";
import type { Command } from "./command.js";
import { cli as commandLine, type CommandLine } from "./invocation.js";

export const remoteCommand: Command = {
  usage: `Usage: ora-agent remote pair <code-or-link> [--name <name>] [--relay <url>]
       ora-agent remote ask "<message>"
       ora-agent remote call <method> [<json params>]
       ora-agent remote tasks [--all]
       ora-agent remote get <path> [<destination>] [--root <folder>] [--overwrite]
       ora-agent remote put <file> [<path>] [--root <folder>] [--overwrite]
       ora-agent remote status

This computer becomes a paired device of another PC's agent, end to end
encrypted through the relay. Run "ora-agent pair" on that PC first, then give
its code (like 7-orbit-velvet-cannon) or its link to "remote pair". The keys live
in their own directory (--state-dir, env ORA_REMOTE_DIR; default
~/.local/share/ora/remote), readable only by you.

A call that needs the PC owner's approval becomes a task on that PC: "ask" says
so at once, and "remote tasks" shows how your tasks ended (--all: finished ones too).

"get" downloads a file from the PC's shared folders (ORA_TOOL_ROOTS there; the
first one unless --root names another by folder name or number) into the
destination (default: its name, here). It writes <destination>.part as it goes;
when a download stops (Ctrl-C, a dropped connection), the same command again
goes on from there. "put" sends a file into a shared folder (default path: its
name); placing it needs the PC owner's approval, as writing a file does, and
"put" says when it waits for one. A stopped "put" goes on when run again; Ctrl-C
cancels it on the PC. Progress goes to stderr.

  --name <name>        how this computer introduces itself (default: its host name)
  --root <folder>      get/put: the PC's shared folder, by folder name or number (default: the first)
  --overwrite          get: replace the local file; put: replace the file on the PC
  --json               print results as JSON`,
  options: { name: { type: "string" }, json: { type: "boolean" }, all: { type: "boolean" }, root: { type: "string" }, overwrite: { type: "boolean" } },
  async run({ flags, positionals }) {
    const dir = remoteDir(flags["state-dir"] as string | undefined);
    // Only the device directory matters once paired: the relay is in it.
    const cli = commandLine(flags, ["state-dir"]);
    const json = flags.json === true;
    const [action, ...rest] = positionals;
    const device = readDevice(dir);
    process.stderr.write(`ora-agent: remote device state ${dir}, ${device ? `paired with Node ${device.node} via ${device.relay}` : "not paired yet"}\n`);
    switch (action) {
      case "pair":
        return pair(dir, rest[0], flags, cli);
      case "ask":
        return withClient(dir, cli, "chat", async (client) => {
          const text = rest.join(" ").trim();
          if (!text) throw new UserError(`what to ask? ${cli("remote ask", "hello")}`);
          // With --json, stdout holds the answer as JSON and nothing else; the progress goes to stderr.
          const progress = new ChatProgress(json ? process.stderr : process.stdout, cli);
          try {
            const result = await client.request("chat", { text }, { onChunk: (chunk) => progress.show(chunk) });
            if (json) print(result, true);
            else if (!progress.streamedText) process.stdout.write(endLine(escapeControls(result.text)));
          } finally {
            // An answer cut short still ends its line, so that the error starts on its own.
            progress.end();
          }
        });
      case "call": {
        const [method, params] = rest;
        if (!method) throw new UserError(`which method? ${cli("remote call")} <method> [<json params>], e.g. ${cli("remote call", "whoami")}`);
        return withClient(dir, cli, method, async (client) => {
          // Streamed chunks are progress, on stderr; stdout holds the result alone.
          const result = await client.call(method, parseJson(params), { onChunk: (chunk) => process.stderr.write(`${JSON.stringify(chunk)}\n`) });
          print(result, json);
        });
      }
      case "tasks":
        return withClient(dir, cli, "tasks.list", async (client) => {
          const { tasks } = await client.request("tasks.list", { open: flags.all !== true });
          if (json) return print(tasks, true);
          if (tasks.length === 0) return void process.stdout.write(flags.all === true ? "no tasks\n" : "no open tasks (--all shows finished ones)\n");
          for (const task of tasks) process.stdout.write(`${taskLine(task)}\n`);
        });
      case "get":
      case "put": {
        if (!device) throw new UserError(`not paired yet (no device in ${dir}); run ${cli("remote pair")} <code>`);
        const files = await import("./remote-files.js");
        return action === "get" ? files.getFile(dir, cli, rest, flags) : files.putFile(dir, cli, rest, flags);
      }
      case "status":
        return withClient(dir, cli, "ping", async (client) => {
          await client.request("ping");
          process.stdout.write(`paired as "${device!.name}" (${device!.role}) with Node ${device!.node} via ${device!.relay}; the PC is online\n`);
        });
      default:
        throw new UserError(
          action === undefined
            ? `which action? pair, ask, call, tasks, get, put or status (${cli("remote --help")})`
            : `unknown remote action "${action}" (${cli("remote --help")})`,
        );
    }
  },
};

async function pair(dir: string, code: string | undefined, flags: Record<string, string | boolean | undefined>, cli: CommandLine): Promise<number> {
  if (!code) throw new UserError(`which code? ${cli("remote pair")} <code-or-link>`);
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
    process.stdout.write(`Paired as "${file.name}" (${file.role}) with Node ${file.node}. Try: ${cli("remote ask", "hello")}\n`);
    return 0;
  } catch (error) {
    if (error instanceof PairingCodeError) throw new UserError(error.message, 2);
    throw explainPairing(error);
  } finally {
    pair.secretKey.fill(0);
  }
}

/**
 * Connects as the paired device and makes one call. Refusals are explained by what failed: getting
 * through to the PC (the device, its relay, the PC) or the call itself, in the words of whoever
 * refused it, named by its method.
 */
async function withClient(dir: string, cli: CommandLine, method: string, use: (client: OraClient) => Promise<void>): Promise<number> {
  const device: DeviceFile | null = readDevice(dir);
  if (!device) throw new UserError(`not paired yet (no device in ${dir}); run ${cli("remote pair")} <code>`);
  let client: OraClient;
  try {
    client = await OraClient.connect({ identity: identityOf(device), onCredentialRotated: (credential) => updateCredential(dir, credential) });
  } catch (error) {
    throw explainConnection(error);
  }
  try {
    if (!client.online) throw new UserError(OFFLINE, 3);
    await use(client);
    return 0;
  } catch (error) {
    throw explainCall(error, method);
  } finally {
    client.close();
  }
}

/** The relay's refusals of a pairing code. */
function explainPairing(error: unknown): unknown {
  if (!(error instanceof OraError)) return error;
  const words: Partial<Record<OraError["code"], string>> = {
    not_found: "no such pairing code at the relay (check the number, or ask for a new code)",
    crowded: "someone else already used this code: ask for a new one",
    expired: "the code expired: ask for a new one",
    pairing_failed: "pairing failed: the code was wrong; it is now burnt, ask for a new one",
    rate_limited: "too many attempts; wait a minute and try again",
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

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly cli: CommandLine,
  ) {}

  show(chunk: ChatChunk): void {
    if (chunk.type === "text") {
      this.streamedText = true;
      this.midLine = !chunk.delta.endsWith("\n");
      return void this.out.write(escapeControls(chunk.delta));
    }
    if (chunk.task) return this.line(`${chunk.name}: waiting for the owner's approval — task ${chunk.task}; you'll be told (${this.cli("remote tasks")})`);
    this.line(`${chunk.name}: ${chunk.status.replaceAll("_", " ")}${chunk.error ? ` (${escapeControls(chunk.error)})` : ""}`);
  }

  /** Ends the streamed answer with a newline, so that what follows (a prompt, an error) starts on its own line. */
  end(): void {
    if (this.midLine) this.out.write("\n");
    this.midLine = false;
  }

  private line(text: string): void {
    this.end();
    this.out.write(`[${text}]\n`);
  }
}

const endLine = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);

function print(value: unknown, json: boolean): void {
  process.stdout.write(endLine(typeof value === "string" && !json ? escapeControls(value) : JSON.stringify(value, null, 2)));
}
