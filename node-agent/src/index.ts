export { Connector, type ConnectorState, type ConnectorOptions } from "./relay/connector.js";
export { AGENT_NAME, AGENT_VERSION } from "./version.js";
export { HandlerRegistry, HandlerError, builtinHandlers, type Handler, type HandlerContext } from "./handlers.js";
export { createLogger, redact, type Logger } from "./log.js";
export { resolveConfig } from "./config.js";
export * as relayApi from "./relay/api.js";
export { PairedDevices, type PairedDevice } from "./secure/paired-devices.js";
export { SecureSessions } from "./secure/secure-sessions.js";
export { loadOrCreateIdentity } from "./secure/identity.js";
