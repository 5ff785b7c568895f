/**
 * What a Node may do to its own devices and read of its own trail, through the relay's HTTP API
 * (worker/src/index.ts routes it here through the object's RPC after checking the Node credential's
 * tag; the object checks the credential's hash itself).
 */
import {
  CloseCode,
  type AuditPage,
  type CancelReason,
  type ClosedSessions,
  type Device,
  type DeviceList,
  type ErrorBody,
  type MintDeviceBody,
  type MintedDevice,
} from "@ora/protocol";
import type { AuditLog } from "./audit.js";
import type { DeviceStore } from "./devices.js";

/**
 * An answer of the object's RPC: a value shaped as protocol/src/relay-http.ts says the route answers
 * (the types below hold this file to it), or the refusal the Worker turns into an HTTP error.
 */
export type DeviceResult<T> = { ok: true; value: T } | ({ ok: false } & ErrorBody);

/** One call of the Node's device API, as the Worker hands it to the object. */
export type OwnerCall =
  | { op: "mint"; input: MintDeviceBody }
  | { op: "list" }
  | { op: "revoke"; id: string }
  | { op: "rotate"; id: string }
  | { op: "rename"; id: string; name: string }
  | { op: "audit"; limit: number; before?: number };

/** Closes a device's live sessions; returns how many there were. */
export type CloseDevice = (id: string, code: number, reason: string, cancel?: CancelReason) => number;

export const UNAUTHORIZED = { ok: false, code: "unauthorized", message: "credential not accepted" } as const;
const NO_SUCH_DEVICE = { ok: false, code: "not_found", message: "no such active device" } as const;

export class OwnerApi {
  constructor(
    private readonly devices: DeviceStore,
    private readonly audit: AuditLog,
    private readonly nodeId: () => string,
    private readonly pepper: string,
    private readonly closeDevice: CloseDevice,
  ) {}

  call(call: OwnerCall): DeviceResult<unknown> | Promise<DeviceResult<unknown>> {
    switch (call.op) {
      case "mint":
        return this.mint(call.input);
      case "list":
        return this.list();
      case "revoke":
        return this.revoke(call.id);
      case "rotate":
        return this.requestRotation(call.id);
      case "rename":
        return this.rename(call.id, call.name);
      case "audit":
        return this.auditPage(call.limit, call.before);
    }
  }

  list(): DeviceResult<DeviceList> {
    return { ok: true, value: { devices: this.devices.list() } };
  }

  async mint(input: MintDeviceBody): Promise<DeviceResult<MintedDevice>> {
    if (!this.devices.lifetimeAllowed(input.expiresInSec)) return { ok: false, code: "bad_request", message: "expiresInSec is longer than the relay allows" };
    const minted = await this.devices.mint(this.nodeId(), this.pepper, input);
    this.audit.record("credential_issued", minted.id, `role=${minted.role}`);
    return { ok: true, value: minted };
  }

  /** Revokes a device and closes its live sessions at once. */
  revoke(id: string): DeviceResult<ClosedSessions> {
    if (!this.devices.revoke(id, Date.now())) return NO_SUCH_DEVICE;
    this.audit.record("credential_revoked", id);
    return { ok: true, value: { closedSessions: this.closeDevice(id, CloseCode.REVOKED, "device revoked", "revoked") } };
  }

  /**
   * Flags the device for rotation and closes its live sessions with GOING_AWAY (a client reconnects
   * after it), so that its next welcome asks it to rotate at once.
   */
  requestRotation(id: string): DeviceResult<ClosedSessions> {
    if (!this.devices.requestRotation(id)) return NO_SUCH_DEVICE;
    return { ok: true, value: { closedSessions: this.closeDevice(id, CloseCode.GOING_AWAY, "credential rotation requested") } };
  }

  rename(id: string, name: string): DeviceResult<Device> {
    const device = this.devices.rename(id, name);
    return device ? { ok: true, value: device } : NO_SUCH_DEVICE;
  }

  /** Newest first. */
  auditPage(limit: number, before?: number): DeviceResult<AuditPage> {
    return { ok: true, value: this.audit.page(limit, before) };
  }
}
