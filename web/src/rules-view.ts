/**
 * The standing rules this device may see (owners: all; a sub-admin: the ones it made), each with what
 * it allows, until when, how often it was used, and Revoke.
 */
import type { Rule } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { explain } from "./errors.js";
import { formatDateTime, onLanguage, plural, t } from "./i18n/index.js";
import { statusLine, words } from "./live-words.js";

export interface RulesSection {
  element: HTMLElement;
  refresh(): Promise<void>;
}

export function rulesSection(connection: Connection, deviceName: (id: string) => string): RulesSection {
  const list = h("ul", { class: "rules" });
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const say = statusLine(status);
  const element = h(
    "section",
    { class: "card rules-card", "aria-labelledby": "rules-title" },
    h("h3", { id: "rules-title" }, words("rules.title")),
    h("p", { class: "muted" }, words("rules.intro")),
    status,
    list,
  );
  let shown: Rule[] | undefined;

  async function refresh(): Promise<void> {
    try {
      shown = (await connection.request("rules.list", {})).rules;
      say();
      render();
    } catch (error) {
      say(() => explain(error), true);
    }
  }

  function render(): void {
    if (shown === undefined) return;
    if (shown.length === 0) clear(list, h("li", { class: "empty" }, t("rules.empty")));
    else clear(list, ...shown.map(item));
  }

  function item(rule: Rule): HTMLElement {
    const who = rule.requester.via === "local" ? t("rules.by-pc") : deviceName(rule.requester.device);
    const scope = scopeWords(rule.scope);
    const revoke = h("button", { type: "button", class: "revoke-rule", "aria-label": t("rules.revoke-label", { tool: rule.tool, scope }) }, t("rules.revoke"));
    revoke.addEventListener("click", async () => {
      revoke.disabled = true;
      try {
        await connection.request("rules.revoke", { id: rule.id });
        await refresh();
      } catch (error) {
        say(() => explain(error), true);
        revoke.disabled = false;
      }
    });
    return h(
      "li",
      { class: "rule", "data-id": rule.id },
      h(
        "div",
        { class: "rule-body" },
        h("p", { class: "rule-what" }, h("code", {}, rule.tool), " ", h("span", { class: "rule-scope" }, scope)),
        h(
          "p",
          { class: "muted rule-meta" },
          `${t("rules.for", { who, role: t(`rules.role.${rule.requester.role}`) })} · ${t("rules.until", { until: formatDateTime(rule.expiresAt) })} `,
          h("span", { class: `tag ${rule.uses === 0 ? "unused" : "used"}` }, rule.uses === 0 ? t("rules.unused") : plural("rules.used", rule.uses)),
        ),
      ),
      revoke,
    );
  }

  onLanguage(render);
  return { element, refresh };
}

function scopeWords(scope: Rule["scope"]): string {
  if ("path" in scope)
    return scope.path === "" ? t("rules.scope.anywhere", { root: scope.root }) : t("rules.scope.inside", { folder: `${scope.root}/${scope.path}/` });
  if ("host" in scope) return t("rules.scope.host", { host: scope.host });
  return t("rules.scope.exact");
}
