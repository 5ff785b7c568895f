/** The method catalogue: the one definition of the application layer, and the docs that describe it. */
import { EVENTS, METHODS, RequestPayload } from "@ora/protocol";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const protocolDoc = readFileSync(new URL("../../docs/PROTOCOL.md", import.meta.url), "utf8");

/** The first column of each table row in the doc's "## Methods" section. */
function documented(kind: "method" | "push event"): string[] {
  const section = protocolDoc.slice(protocolDoc.indexOf("## Methods"), protocolDoc.indexOf("\n## ", protocolDoc.indexOf("## Methods") + 1));
  const table = section.slice(section.indexOf(`| ${kind}`));
  const rows = table.slice(0, table.indexOf("\n\n")).split("\n").slice(2);
  return rows.map((row) => /^\|\s*`([^`]+)`/.exec(row)?.[1] ?? `unreadable row: ${row}`).sort();
}

describe("the method catalogue", () => {
  it("lists exactly the methods docs/PROTOCOL.md documents", () => {
    expect(documented("method")).toEqual(Object.keys(METHODS).sort());
  });

  it("lists exactly the push events docs/PROTOCOL.md documents", () => {
    expect(documented("push event")).toEqual(Object.keys(EVENTS).sort());
  });

  it("names every method as a sealed request may carry it", () => {
    for (const name of Object.keys(METHODS)) expect(RequestPayload.safeParse({ method: name }).success, name).toBe(true);
  });

  it("gives every method a description and at least one role", () => {
    for (const [name, spec] of Object.entries(METHODS)) {
      expect(spec.description.length, name).toBeGreaterThan(10);
      expect(spec.roles.length, name).toBeGreaterThan(0);
    }
  });

  it("keeps devices and deciding approvals away from guests", () => {
    for (const name of ["devices.list", "devices.revoke", "devices.rename", "approvals.list", "approvals.decide"] as const) {
      expect(METHODS[name].roles, name).not.toContain("guest");
    }
  });

  it("refuses a CRITICAL code that is not six digits before it reaches the approvals", () => {
    expect(METHODS["approvals.decide"].params.safeParse({ id: "a", verdict: "approve", code: "12345" }).success).toBe(false);
    expect(METHODS["approvals.decide"].params.safeParse({ id: "a", verdict: "approve", code: "123456" }).success).toBe(true);
  });
});
