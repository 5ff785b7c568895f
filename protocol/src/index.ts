export * from "./version.js";
export * from "./errors.js";
export * from "./frames.js";
export * from "./payload.js";
export * from "./credentials.js";
export * from "./client.js";
export * from "./pairing-frames.js";
export * from "./crypto/cpace.js";
