/**
 * The approvals inbox of owner and sub-admin devices: every call waiting for a decision, with what
 * a careful person needs to decide it (tool, risk, the exact arguments, who asked from which device,
 * what input led to it, time left). CRITICAL calls (and HIGH ones when the PC asks) are approved here
 * only with this device's passkey; the one-time code never reaches a device, and without a passkey the
 * card says how to approve at the PC. Pushes keep the inbox and its badge current while the app is open.
 */
import type { ApprovalView } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, duration, h } from "./dom.js";
import { explain } from "./errors.js";
import { type AlwaysChoice, alwaysAllow } from "./always-allow.js";
import { atThePc, confirmWithPasskey, passkeyWords } from "./passkey.js";
import { formatDateTime, type Key, t } from "./i18n/index.js";
import { roleWord } from "./roles.js";
import { rulesSection } from "./rules-view.js";

const RISK_WORDS: Record<ApprovalView["risk"], Key> = {
  HIGH: "approvals.risk.HIGH",
  CRITICAL: "approvals.risk.CRITICAL",
};

export interface Inbox {
  element: HTMLElement;
  /** Reloads the list from the PC (after a reconnect, or when a push says something changed). */
  refresh(): Promise<void>;
  /** Draws the list again (device names became known). */
  render(): void;
}

export function approvalsView(
  connection: Connection,
  options: { deviceName: (id: string) => string; thisDevice: string; onCount: (count: number) => void },
): Inbox {
  const list = h("div", { class: "approvals" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  // The last decision stays readable here: its card leaves the list at once (the PC's push says so too).
  const notice = h("p", { class: "notice", role: "status", "aria-live": "polite" });
  const rules = rulesSection(connection, options.deviceName);
  const heading = h("h2", {});
  const element = h("section", { class: "inbox" }, heading, notice, status, list, rules.element);
  let approvals: ApprovalView[] = [];
  let loaded = false;

  async function refresh(): Promise<void> {
    try {
      approvals = (await connection.request("approvals.list")).approvals;
      status.textContent = "";
    } catch (error) {
      status.textContent = explain(error);
    }
    loaded = true;
    render();
    await rules.refresh();
  }

  function render(): void {
    heading.textContent = t("approvals.title");
    element.setAttribute("aria-label", t("app.tab.approvals"));
    approvals = approvals.filter((a) => a.expiresAt > Date.now());
    options.onCount(approvals.length);
    if (!loaded) return clear(list, h("p", { class: "empty" }, t("app.loading")));
    if (approvals.length === 0) return clear(list, h("p", { class: "empty" }, t("approvals.empty")));
    clear(list, ...approvals.map(card));
  }

  function card(approval: ApprovalView): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const left = h("span", { class: "left", "data-expires": approval.expiresAt }, duration(approval.expiresAt - Date.now()));
    const passkey = approval.needsPasskey === true;
    const decide = async (verdict: "approve" | "deny", always?: AlwaysChoice) => {
      const buttons = [...item.querySelectorAll("button")];
      for (const b of buttons) b.disabled = true;
      try {
        if (verdict === "approve" && passkey) message.textContent = t("approvals.confirming");
        const assertion = verdict === "approve" && passkey ? await confirmWithPasskey(connection, { purpose: "approve", approval: approval.id }) : undefined;
        const { status: outcome } = await connection.request("approvals.decide", {
          id: approval.id,
          verdict,
          ...(assertion ? { assertion } : {}),
          ...(always ? { always } : {}),
        });
        notice.textContent =
          outcome !== "approved"
            ? t("approvals.denied", { tool: approval.tool })
            : always
              ? t("approvals.approvedAlways", { tool: approval.tool })
              : t("approvals.approved", { tool: approval.tool });
        approvals = approvals.filter((a) => a.id !== approval.id);
        render();
      } catch (error) {
        message.textContent = passkey && verdict === "approve" ? passkeyWords(error) : explain(error);
        for (const b of buttons) b.disabled = false;
      }
    };
    const item = h(
      "article",
      {
        class: `approval risk-${approval.risk.toLowerCase()}`,
        "data-id": approval.id,
        "aria-label": t("approvals.label", { tool: approval.tool, risk: t(RISK_WORDS[approval.risk]) }),
      },
      h(
        "header",
        {},
        h("code", { class: "tool" }, approval.tool),
        " ",
        h("span", { class: `risk ${approval.risk.toLowerCase()}` }, t(RISK_WORDS[approval.risk])),
        h("span", { class: "time-left muted" }, `${t("approvals.timeLeft")} `, left),
      ),
      h("pre", { class: "args", "aria-label": t("approvals.args") }, JSON.stringify(approval.args, null, 2)),
      h(
        "dl",
        {},
        h("dt", {}, t("approvals.askedBy")),
        h(
          "dd",
          { class: "requester" },
          h("strong", {}, options.deviceName(approval.requester.device)),
          approval.requester.device === options.thisDevice && " ",
          approval.requester.device === options.thisDevice && h("span", { class: "this-device" }, t("app.thisDevice")),
          ` (${t(approval.requester.via === "discord" ? "approvals.viaDiscord" : "approvals.viaDevice", { role: roleWord(approval.requester.role) })})`,
        ),
        h("dt", {}, t("approvals.origin")),
        h("dd", { class: "origin" }, approval.origin),
        h("dt", {}, t("approvals.askedAt")),
        h("dd", {}, formatDateTime(approval.createdAt)),
      ),
      passkey && h("p", { class: "pc-route muted" }, `${t("approvals.passkeyNeeded")} `, h("code", { class: "pc-command" }, atThePc(approval.id))),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", class: "approve primary", onclick: () => void decide("approve") },
          t(passkey ? "approvals.approvePasskey" : "approvals.approve"),
        ),
        h("button", { type: "button", class: "deny", onclick: () => void decide("deny") }, t("approvals.deny")),
      ),
      approval.risk === "HIGH" && alwaysAllow(approval, options.deviceName(approval.requester.device), (always) => void decide("approve", always)),
      message,
    );
    return item;
  }

  connection.onPush((push) => {
    if (push.event === "approval") void refresh();
  });
  // Time left counts down in place; expired requests leave the inbox (expiry is a deny on the PC).
  setInterval(() => {
    let expired = false;
    for (const left of list.querySelectorAll<HTMLElement>(".left")) {
      const ms = Number(left.dataset.expires) - Date.now();
      left.textContent = duration(ms);
      expired ||= ms <= 0;
    }
    if (expired) render();
  }, 1000);
  render();
  return { element, refresh, render };
}
