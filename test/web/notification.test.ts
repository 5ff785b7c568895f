/**
 * What the service worker does with a push body and a click, as plain functions: the body check
 * agrees with the catalogue's NotificationBody, and a click only ever leads to this app's own pages.
 * (test/web/notifications.test.ts shows them at work in Chromium.)
 */
import { NotificationBody } from "@ora/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clickTarget, openedHash, readNotification } from "../../web/src/notification.js";
import { routeOf } from "../../web/src/routes.js";

const ORIGIN = "https://relay.example";
const good = { title: "Approval needed", body: "files.write (HIGH) from Guest tablet", url: "/#approvals", tag: "approval-a1" };

describe("the service worker's notification body check", () => {
  it("accepts a well-formed body and keeps only its four fields", () => {
    expect(readNotification({ ...good, extra: "dropped" })).toEqual(good);
    expect(readNotification({ ...good, url: "/#tasks/t_1.x-2" })).toEqual({ ...good, url: "/#tasks/t_1.x-2" });
  });

  it("ignores bodies that are not notifications: wrong types, missing fields, too long, foreign links", () => {
    for (const bad of [
      null,
      "text",
      42,
      [],
      { title: "t", body: "b", url: "/#approvals" },
      { ...good, title: 7 },
      { ...good, title: "x".repeat(121) },
      { ...good, body: "x".repeat(401) },
      { ...good, tag: "x".repeat(65) },
      { ...good, url: "https://evil.example/#approvals" },
      { ...good, url: "//evil.example/#approvals" },
      { ...good, url: "javascript:alert(1)" },
      { ...good, url: "/#<script>" },
      { ...good, url: "/approvals" },
    ]) {
      expect(readNotification(bad)).toBeUndefined();
    }
  });

  it("gives the same verdict as the catalogue's NotificationBody on any input", () => {
    const text = (max: number) => fc.string({ maxLength: max + 3 });
    const url = fc.oneof(fc.constantFrom("/#approvals", "/#tasks/t1", "/#", "/#a b", "https://x/#a", "/pair"), fc.string({ maxLength: 20 }));
    const body = fc.record(
      { title: fc.oneof(text(120), fc.integer()), body: text(400), url, tag: fc.oneof(text(64), fc.constant(null)) },
      { requiredKeys: ["title", "body", "url"] },
    );
    fc.assert(
      fc.property(body, (value) => {
        const parsed = NotificationBody.safeParse(value);
        expect(readNotification(value)).toEqual(parsed.success ? parsed.data : undefined);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("where a notification click leads", () => {
  it("opens the page the notification names, on this origin", () => {
    expect(clickTarget({ url: "/#tasks/t1" }, ORIGIN)).toBe(`${ORIGIN}/#tasks/t1`);
    expect(clickTarget({ url: "/#approvals" }, ORIGIN)).toBe(`${ORIGIN}/#approvals`);
  });

  it("opens the start page for anything else, never another site", () => {
    for (const data of [undefined, null, "x", {}, { url: 5 }, { url: "https://evil.example/" }, { url: "//evil.example/#x" }, { url: "/#a?b" }]) {
      expect(clickTarget(data, ORIGIN)).toBe(`${ORIGIN}/`);
    }
  });

  it("lets an open page follow only the service worker's own messages to this app's pages", () => {
    expect(openedHash({ type: "open", url: `${ORIGIN}/#tasks/t1` }, ORIGIN)).toBe("#tasks/t1");
    expect(openedHash({ type: "open", url: "https://evil.example/#tasks/t1" }, ORIGIN)).toBeUndefined();
    expect(openedHash({ type: "close", url: `${ORIGIN}/#tasks/t1` }, ORIGIN)).toBeUndefined();
    expect(openedHash("open", ORIGIN)).toBeUndefined();
  });

  it("routes the app's own addresses and leaves pairing codes alone", () => {
    expect(routeOf("#tasks/t1")).toEqual({ tab: "tasks", item: "t1" });
    expect(routeOf("#reminders")).toEqual({ tab: "reminders" });
    expect(routeOf("#reminders/s_1")).toEqual({ tab: "reminders", item: "s_1" });
    expect(routeOf("#approvals")).toEqual({ tab: "approvals" });
    expect(routeOf("#settings")).toEqual({ tab: "settings" });
    expect(routeOf("#approvals/a1")).toBeUndefined();
    expect(routeOf("#7-orbit-velvet-cannon-abandon")).toBeUndefined();
    expect(routeOf("#nothing")).toBeUndefined();
  });
});
