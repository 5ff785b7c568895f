/**
 * The agent's log: one line per event on stderr, `time level message key=value…`. Credentials never
 * reach it: every value passes through redact(), which blots out anything shaped like one.
 */
const CREDENTIAL = /ora_(node|dev)_[A-Za-z0-9_-]+/g;
/**
 * A Discord bot token: the bot's id in base64 (24–28 characters), a timestamp (6–7) and an HMAC (27 or
 * more), dot-separated base64url. The lookarounds keep it from matching inside a longer base64 run.
 */
const DISCORD_TOKEN = /(?<![\w-])[\w-]{24,28}\.[\w-]{6,7}\.[\w-]{27,}(?![\w-])/g;

export function redact(text: string): string {
  return text.replace(CREDENTIAL, (match) => `${match.slice(0, match.indexOf("_", 4) + 1)}[redacted]`).replace(DISCORD_TOKEN, "[redacted discord token]");
}

export type Level = "debug" | "info" | "warn" | "error";
export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(minimum: Level = "info", write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const emit = (level: Level, message: string, fields: Fields = {}) => {
    if (ORDER[level] < ORDER[minimum]) return;
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    write(redact(`${new Date().toISOString()} ${level} ${message}${parts.length ? ` ${parts.join(" ")}` : ""}\n`));
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
