/**
 * Pairing codes: `<nameplate>-<word>-<word>-<word>`, e.g. `7-orbit-velvet-cannon`.
 *
 * The nameplate is public (the relay routes by it); the three words are the secret, drawn from the
 * 2,048-word BIP-39 English list: 33 bits. That is plenty because a guess can never be tested
 * offline (CPace) and every wrong guess burns the offer, so an attacker gets one try per code.
 * BIP-39 words are unambiguous by their first four letters, which lets us accept short forms.
 * The URL form puts the code in the fragment (`https://relay/pair#7-orbit-velvet-cannon`), which
 * browsers never send to the server.
 */
import { wordlist } from "@scure/bip39/wordlists/english.js";
import { Nameplate } from "./pairing-frames.js";
import { PairingCodeError } from "./errors.js";

export const SECRET_WORDS = 3;
const INDEX = new Map(wordlist.map((word, i) => [word, i]));
const BY_PREFIX = new Map(wordlist.map((word) => [word.slice(0, 4), word]));

export interface PairingCode {
  nameplate: string;
  /** The secret words joined by "-", normalised: what both ends feed to CPace. */
  secret: string;
  /** The relay origin when the code came as a URL. */
  relay?: string;
}

/** A fresh secret: SECRET_WORDS words chosen uniformly (rejection sampling keeps it unbiased). */
export function newPairingSecret(): string {
  const words: string[] = [];
  const buffer = new Uint16Array(1);
  while (words.length < SECRET_WORDS) {
    crypto.getRandomValues(buffer);
    const index = buffer[0]! & 0x7ff; // 2,048 words = 11 bits: masking a uniform 16-bit value stays uniform
    words.push(wordlist[index]!);
  }
  return words.join("-");
}

export function formatCode(nameplate: string, secret: string): string {
  return `${nameplate}-${secret}`;
}

export function pairingUrl(relay: string, code: string): string {
  return `${new URL("/pair", relay).href}#${code}`;
}

/**
 * Reads a code as a person types it, or a pairing URL. Spaces, dots and dashes separate words, case
 * is ignored, and a word may be cut to its first four letters.
 */
export function parsePairingCode(input: string): PairingCode {
  let text = input.trim();
  let relay: string | undefined;
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new PairingCodeError("that pairing link is not a valid URL", "bad_link");
    }
    relay = url.origin;
    text = decodeURIComponent(url.hash.slice(1));
    if (!text) throw new PairingCodeError("that pairing link has no code after the #", "no_code");
  }
  const parts = text
    .toLowerCase()
    .split(/[\s.\-_]+/)
    .filter(Boolean);
  const [nameplate, ...words] = parts;
  if (nameplate === undefined || !Nameplate.safeParse(nameplate).success) {
    throw new PairingCodeError("a pairing code starts with a number, like 7-orbit-velvet-cannon", "no_nameplate");
  }
  if (words.length === 0) throw new PairingCodeError("the code is missing its secret words (like 7-orbit-velvet-cannon)", "no_words");
  if (words.length !== SECRET_WORDS) throw new PairingCodeError(`a pairing code has ${SECRET_WORDS} words after the number`, "word_count");
  const secret = words.map((word) => {
    const full = INDEX.has(word) ? word : word.length >= 4 ? BY_PREFIX.get(word.slice(0, 4)) : undefined;
    if (full === undefined || (word.length > 4 && full !== word))
      throw new PairingCodeError(`"${word}" is not one of the code words; check the spelling`, "unknown_word", word);
    return full;
  });
  return { nameplate, secret: secret.join("-"), ...(relay === undefined ? {} : { relay }) };
}
