export { Connector, AGENT_NAME, type ConnectorState, type ConnectorOptions } from "./connector.js";
export { HandlerRegistry, HandlerError, builtinHandlers, type Handler, type HandlerContext } from "./handlers.js";
export { createLogger, redact, type Logger } from "./log.js";
export { fullJitter, DEFAULT_BACKOFF } from "./backoff.js";
export { resolveConfig } from "./config.js";
export * as relayApi from "./relay-api.js";
export { PairedDevices, type PairedDevice } from "./e2e/paired-devices.js";
export { SecureSessions } from "./e2e/secure-sessions.js";
export { loadOrCreateIdentity } from "./e2e/identity.js";
