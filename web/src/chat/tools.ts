/** `/tools` as a list grouped by risk, lowest first: one line a tool, and which ones wait for an approval. */
import type { ToolInfo } from "@ora/protocol";
import { h } from "../dom.js";
import { t } from "../i18n/index.js";

const GROUPS = [
  ["LOW", () => t("chat.tools.LOW")],
  ["MEDIUM", () => t("chat.tools.MEDIUM")],
  ["HIGH", () => t("chat.tools.HIGH")],
  ["CRITICAL", () => t("chat.tools.CRITICAL")],
] as const satisfies readonly (readonly [ToolInfo["risk"], () => string])[];

export function toolsView(tools: ToolInfo[]): HTMLElement {
  return h(
    "div",
    { class: "result tool-groups" },
    h("p", { class: "result-head" }, t("chat.tools.title")),
    ...GROUPS.map(([risk, label]) => {
      const inGroup = tools.filter((tool) => tool.risk === risk).sort((a, b) => a.name.localeCompare(b.name));
      if (inGroup.length === 0) return null;
      return h(
        "section",
        { class: `tool-group risk-${risk.toLowerCase()}`, "data-risk": risk },
        h("h3", {}, label()),
        h(
          "ul",
          { class: "result-list" },
          ...inGroup.map((tool) =>
            h(
              "li",
              { "data-tool": tool.name },
              h("code", { class: "tool-name" }, tool.name),
              tool.needsApproval && h("span", { class: "needs-approval" }, t("chat.tools.needsApproval")),
              h("span", { class: "tool-description" }, tool.description),
            ),
          ),
        ),
      );
    }),
  );
}
