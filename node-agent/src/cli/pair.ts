import { PAIR_TTL, ROLES, type Role } from "@ora/protocol";
import { createInterface } from "node:readline/promises";
import { renderUnicodeCompact } from "uqr";
import { hostPairing, PairingFailed, type Offer } from "../secure/host-pairing.js";
import { loadOrCreateIdentity } from "../secure/identity.js";
import { PairedDevices } from "../secure/paired-devices.js";
import { loadOrRegister } from "../relay/registration.js";
import { ensureStateDir } from "../state.js";
import { UserError } from "../errors.js";
import { configFrom, type Command } from "./command.js";
import { lockdownOf } from "../lockdown/read.js";

export const pairCommand: Command = {
  usage: `Usage: ora-agent pair [--role owner|sub-admin|guest] [--name <name>] [--ttl <seconds>] [--yes]

Shows a one-time code (like 7-orbit-velvet-cannon), a QR code and a link. Open the
link on the new device, or type the code there (web client, or "ora-agent remote
pair" on another computer). When the device answers you are asked to confirm; the
same six digits appear on both screens. The code works once: a wrong code burns it.

  --role <role>        what the device may do: owner (default on the private
                       profile), sub-admin, or guest (default on the shared profile)
  --name <name>        the device's name (default: the name the device proposes)
  --ttl <seconds>      how long the code stays valid (${PAIR_TTL.minSec}–${PAIR_TTL.maxSec}, default ${PAIR_TTL.defaultSec})
  --yes                pair without asking (for scripts)
  --no-qr              do not draw the QR code`,
  options: { role: { type: "string" }, name: { type: "string" }, ttl: { type: "string" }, yes: { type: "boolean" }, "no-qr": { type: "boolean" } },
  async run({ flags }) {
    const config = configFrom(flags);
    const role = (flags.role ?? (config.profile === "shared" ? "guest" : "owner")) as Role;
    if (!ROLES.includes(role)) throw new UserError(`unknown role "${role}": use owner, sub-admin or guest`);
    const ttlSec = flags.ttl === undefined ? PAIR_TTL.defaultSec : Number(flags.ttl);
    if (!Number.isInteger(ttlSec) || ttlSec < PAIR_TTL.minSec || ttlSec > PAIR_TTL.maxSec) {
      throw new UserError(`--ttl must be a whole number of seconds from ${PAIR_TTL.minSec} to ${PAIR_TTL.maxSec}`);
    }
    const name = typeof flags.name === "string" ? flags.name.trim() : undefined;
    if (name !== undefined && (name.length === 0 || name.length > 64)) throw new UserError("--name must be 1 to 64 characters");
    ensureStateDir(config.stateDir);
    // The relay refuses the offer too (locked_down); this says why before anything is shown.
    if (lockdownOf(config.stateDir).locked) throw new UserError(`this PC is in lockdown: no device can be paired until it ends (${config.cli("unlock")})`, 1);
    const node = await loadOrRegister(config.relay, config.stateDir);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    const countdown = new Countdown();
    try {
      const device = await hostPairing({
        relay: config.relay,
        node,
        identity: loadOrCreateIdentity(config.stateDir),
        devices: new PairedDevices(config.stateDir),
        role,
        name,
        ttlSec,
        onOffer: (offer) => {
          showOffer(offer, role, !flags["no-qr"]);
          countdown.start(offer.expiresAt);
        },
        confirm: async (request) => {
          countdown.stop();
          out(`\nA device answered: "${request.name}". Verification digits: ${request.verification}`);
          out("Check that the device shows the same digits.");
          if (flags.yes) return true;
          return ask(`Pair "${request.name}" as ${request.role}? [y/N] `);
        },
      });
      out(
        `Paired "${device.name}" as ${device.role} (device ${device.id}). It can reach this PC now; revoke it any time with: ${config.cli("revoke", device.id)}`,
      );
      return 0;
    } catch (error) {
      if (error instanceof PairingFailed) {
        const again = error.reason === "wrong_code" || error.reason === "expired" ? `; for a new code run: ${config.cli("pair")}` : "";
        throw new UserError(`${error.message}${again}`, error.reason === "refused" ? 1 : 3);
      }
      throw error;
    } finally {
      countdown.stop();
    }
  },
};

function showOffer(offer: Offer, role: Role, qr: boolean): void {
  const lines = [`Pairing code: ${offer.code}`, `Link:         ${offer.url}`, `Role:         ${role}`];
  if (qr) lines.push("", renderUnicodeCompact(offer.url, { border: 1 }));
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** A live "expires in 4:59" line on a terminal; a single line elsewhere (logs, pipes). */
class Countdown {
  private timer: NodeJS.Timeout | undefined;

  start(expiresAt: number): void {
    const left = () => Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    const text = () => `Waiting for the device… code expires in ${Math.floor(left() / 60)}:${String(left() % 60).padStart(2, "0")} (Ctrl-C to cancel)`;
    if (!process.stdout.isTTY) return void process.stdout.write(`${text()}\n`);
    process.stdout.write(text());
    this.timer = setInterval(() => process.stdout.write(`\r${text()}`), 1000);
  }

  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    process.stdout.write("\n");
  }
}

/** Yes only on an explicit yes from a person at a terminal: nobody to ask means no. */
async function ask(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    process.stdout.write("Nobody at a terminal to confirm, so the answer is no (use --yes in scripts).\n");
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
