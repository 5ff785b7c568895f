/**
 * "Always allow…" beside Approve on a HIGH approval: the decider picks how long (1, 7 or 30 days) and
 * sees the scope, prefilled from the call's own arguments: the folder of the file (file tools), the
 * URL's host (web.fetch), or else exactly these arguments. The PC checks again that the scope covers
 * the call and refuses anything wider than it can state exactly.
 */
import type { ApprovalView, ParamsInput } from "@ora/protocol";
import { h } from "./dom.js";
import { plural, t } from "./i18n/index.js";
import { sentenceWith } from "./live-words.js";

export type AlwaysChoice = NonNullable<ParamsInput<"approvals.decide">["always"]>;

const FILE_TOOLS = new Set(["files.read", "files.list", "files.write"]);
const DAYS = [1, 7, 30] as const;
const DAY_MS = 86_400_000;

/** The scope a rule for this call would have by default, and how to say it. */
export function defaultScope(approval: Pick<ApprovalView, "tool" | "args">): { scope?: AlwaysChoice["scope"]; words: string } {
  const args = (typeof approval.args === "object" && approval.args !== null ? approval.args : {}) as Record<string, unknown>;
  if (FILE_TOOLS.has(approval.tool) && typeof args.path === "string") {
    const segments = args.path.split(/[\\/]/).filter((s) => s !== "" && s !== ".");
    const folder = approval.tool === "files.list" ? segments.join("/") : segments.slice(0, -1).join("/");
    return { scope: { path: folder }, words: folder === "" ? t("rules.default.anywhere") : t("rules.default.folder", { folder: `${folder}/` }) };
  }
  if (approval.tool === "web.fetch" && typeof args.url === "string") {
    try {
      const url = new URL(args.url);
      return { scope: { host: url.host }, words: t("rules.default.host", { host: url.host }) };
    } catch {
      // Not a URL: only these exact arguments.
    }
  }
  return { words: t("rules.default.exact") };
}

/** The form; `choose` approves with the rule. */
export function alwaysAllow(approval: ApprovalView, requesterName: string, choose: (always: AlwaysChoice) => void): HTMLElement {
  const { scope, words } = defaultScope(approval);
  const until = h(
    "select",
    { class: "always-until", "aria-label": t("rules.always-until") },
    ...DAYS.map((d) => h("option", { value: d, selected: d === 7 }, plural("rules.days", d))),
  );
  return h(
    "details",
    { class: "always" },
    h("summary", {}, t("rules.always")),
    h(
      "p",
      { class: "always-scope" },
      ...sentenceWith(t("rules.always-scope"), {
        who: document.createTextNode(requesterName),
        tool: h("code", {}, approval.tool),
        scope: document.createTextNode(words),
        until,
      }),
    ),
    h(
      "button",
      {
        type: "button",
        class: "approve-always",
        onclick: () => choose({ until: Date.now() + Number(until.value) * DAY_MS, ...(scope ? { scope } : {}) }),
      },
      t("rules.approve-always"),
    ),
  );
}
