/**
 * The local control channel: a second transport into the agent's handler registry, beside the relay.
 * Protocol flow: the CLI connects to the running agent's socket, writes one JSON request and a
 * newline, reads one JSON answer line; the agent may serve several requests on one connection, in
 * order. A request is a method of the protocol's catalogue with its params, exactly as a device
 * sends it sealed through the relay, and the answer is the same answer payload:
 *
 *   → {"method":"approvals.decide","params":{"id":"…","verdict":"approve","code":"123456"}}
 *   ← {"ok":true,"result":{"id":"…","status":"approved"}} | {"ok":false,"error":{"code":"wrong_code","message":"…"}}
 *
 * Everything arriving here acts as the local owner (LOCAL_OWNER): only the user who runs the agent
 * can open the socket (0600 in a 0700 directory), so its permissions are the authentication.
 */

/** A line longer than this is refused and the connection closed. */
export const MAX_LINE_BYTES = 65_536;

/** How the local owner is named in approvals and the audit trail. */
export const LOCAL_NAME = "the local CLI";
