/**
 * Reminders: what the PC will tell you, and when. A short form asks for a new one in words ("in 20
 * minutes", "every monday 8:00"), read by the PC in this device's time zone; the PC answers with the
 * exact time it understood. Then three lists: Upcoming (one-time, soonest first), Recurring (with
 * their pattern and next run) and Past (each run, and what was cancelled, newest first). `schedule`
 * pushes update the lists in place; a reconnect loads them again. `#reminders/<id>` highlights one.
 */
import { OraError, type Schedule, type ScheduleRun } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { explain } from "./errors.js";
import { currentLanguage, formatRelative, type Key, onLanguage, t } from "./i18n/index.js";
import { sentenceWith, statusLine, words, wordsIn } from "./live-words.js";
import { actionLabel, deviceZone, exactTime, runLabel, timeOf, whenText } from "./schedule-words.js";
import { excerpt } from "./task-words.js";

export interface ReminderList {
  element: HTMLElement;
  /** Reloads the lists from the PC (after a reconnect). */
  refresh(): Promise<void>;
  /** Highlights one schedule (and its runs); undefined highlights none. */
  highlight(id: string | undefined): void;
}

const RUNS = 50;

export function remindersView(connection: Connection): ReminderList {
  // The PC reads Japanese times too ("明日9時", "毎週月曜8時"), so each language's examples work as typed.
  const when = wordsIn(h("input", { id: "remind-when", required: true, maxlength: 200, autocomplete: "off" }), { placeholder: "reminders.when-hint" });
  const what = wordsIn(h("input", { id: "remind-what", required: true, maxlength: 2000, autocomplete: "off" }), { placeholder: "reminders.what-hint" });
  const add = h("button", { type: "submit", class: "primary" }, words("reminders.submit"));
  const form = wordsIn(
    h(
      "form",
      { class: "remind-form", onsubmit: (event: Event) => (event.preventDefault(), void create()) },
      h("div", { class: "field" }, h("label", { for: "remind-when" }, words("reminders.when")), when),
      h("div", { class: "field" }, h("label", { for: "remind-what" }, words("reminders.what")), what),
      add,
    ),
    { "aria-label": "reminders.form" },
  );
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const list = (name: string, key: Key) => wordsIn(h("ul", { class: `reminders ${name}` }), { "aria-label": key });
  const upcoming = list("upcoming", "reminders.upcoming");
  const recurring = list("recurring", "reminders.recurring");
  const past = list("past", "reminders.past");
  const element = wordsIn(
    h(
      "section",
      { class: "reminder-list" },
      h("h2", {}, words("reminders.title")),
      h("p", { class: "muted intro" }, words("reminders.intro")),
      form,
      status,
      h("h3", {}, words("reminders.upcoming")),
      upcoming,
      h("h3", {}, words("reminders.recurring")),
      recurring,
      h("h3", {}, words("reminders.past")),
      past,
    ),
    { "aria-label": "reminders.title" },
  );
  let schedules: Schedule[] = [];
  let runs: ScheduleRun[] = [];
  let loaded = false;
  let unreadable = false;
  let highlighted: string | undefined;

  const say = statusLine(status);

  async function refresh(): Promise<void> {
    try {
      ({ schedules, runs } = await connection.request("schedules.list", { runs: RUNS }));
      if (!loaded || unreadable) say();
      loaded = true;
      unreadable = false;
    } catch (error) {
      unreadable = true;
      say(() => explain(error), true);
    }
    render();
    if (highlighted !== undefined) focusHighlighted();
  }

  async function create(): Promise<void> {
    add.disabled = true;
    try {
      const { schedule } = await connection.request("schedules.create", {
        when: when.value.trim(),
        text: what.value.trim(),
        timeZone: deviceZone(),
      });
      upsert(schedule);
      // Said from the schedule rather than the PC's `understood`, so it reads in this device's language and zone.
      say(() => t("reminders.set", { action: actionLabel(schedule.action), text: schedule.text, when: whenText(schedule) }));
      form.reset();
      render();
      when.focus();
    } catch (error) {
      say(() => explain(error), true);
    } finally {
      add.disabled = false;
    }
  }

  function upsert(schedule: Schedule): void {
    const before = schedules.find((s) => s.id === schedule.id);
    if (before && before.updatedAt > schedule.updatedAt) return; // an older state arriving late
    schedules = [schedule, ...schedules.filter((s) => s.id !== schedule.id)];
  }

  function upsertRun(run: ScheduleRun): void {
    const before = runs.find((r) => r.id === run.id);
    if (before && before.finishedAt !== null && run.finishedAt === null) return; // its start arriving after its end
    runs = [run, ...runs.filter((r) => r.id !== run.id)].sort((a, b) => b.dueAt - a.dueAt).slice(0, RUNS);
  }

  function render(): void {
    if (!loaded) {
      // Until the PC has answered once; if it could not, the status line says why.
      for (const list of [upcoming, recurring, past]) clear(list, !unreadable && h("li", { class: "empty" }, t("reminders.loading")));
      return;
    }
    const active = schedules.filter((s) => s.state === "active").sort((a, b) => (a.nextAt ?? Infinity) - (b.nextAt ?? Infinity));
    const once = active.filter((s) => s.kind === "once");
    const repeating = active.filter((s) => s.kind === "recurring");
    const cancelled = schedules.filter((s) => s.state === "cancelled");
    const ended = [...runs.map((r) => ({ at: r.dueAt, item: () => runItem(r) })), ...cancelled.map((s) => ({ at: s.updatedAt, item: () => cancelledItem(s) }))];
    clear(
      upcoming,
      ...(once.length
        ? once.map(activeItem)
        : [
            h(
              "li",
              { class: "empty" },
              schedules.length || runs.length
                ? t("reminders.none-upcoming")
                : h("span", {}, ...sentenceWith(t("reminders.empty"), { command: h("code", {}, t("reminders.empty-command")) })),
            ),
          ]),
    );
    clear(
      recurring,
      ...(repeating.length
        ? repeating.map(activeItem)
        : [h("li", { class: "empty" }, ...sentenceWith(t("reminders.none-recurring"), { example: h("q", {}, t("reminders.recurring-example")) }))]),
    );
    clear(past, ...(ended.length ? ended.sort((a, b) => b.at - a.at).map((e) => e.item()) : [h("li", { class: "empty" }, t("reminders.none-past"))]));
    for (const li of entriesOf(highlighted)) li.classList.add("highlight");
  }

  function activeItem(schedule: Schedule): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const cancel = h(
      "button",
      { type: "button", class: "cancel danger", "aria-label": t("reminders.cancel-label", { text: schedule.text }), onclick: () => void stop() },
      t("reminders.cancel"),
    );
    async function stop(): Promise<void> {
      cancel.disabled = true;
      try {
        upsert((await connection.request("schedules.cancel", { id: schedule.id })).schedule);
        say(() => t(schedule.kind === "recurring" ? "reminders.cancelled-recurring" : "reminders.cancelled-once", { text: schedule.text }));
        render();
      } catch (error) {
        // It ended meanwhile (ran, or was cancelled elsewhere): the PC refuses, and the lists show what it is now.
        if (error instanceof OraError && (error.code === "denied" || error.code === "not_found")) {
          say(() => t("reminders.already-ended", { text: schedule.text }));
          return void refresh();
        }
        message.textContent = explain(error);
        cancel.disabled = false;
      }
    }
    return h(
      "li",
      { class: `reminder active ${schedule.action}`, "data-id": schedule.id, tabindex: -1 },
      h(
        "div",
        { class: "reminder-body" },
        subject(schedule.action, schedule.text),
        h(
          "p",
          { class: "muted reminder-when" },
          whenText(schedule),
          schedule.nextAt !== null && h("span", {}, " · ", h("span", { "data-until": schedule.nextAt }, formatRelative(schedule.nextAt))),
        ),
        message,
      ),
      cancel,
    );
  }

  function runItem(run: ScheduleRun): HTMLElement {
    const zone = schedules.find((s) => s.id === run.schedule)?.timeZone;
    return h(
      "li",
      { class: `reminder run-${run.state}`, "data-id": run.schedule, tabindex: -1 },
      subject(run.action, run.text),
      h(
        "p",
        { class: "muted reminder-when" },
        h("span", { class: `tag run-state run-${run.state}` }, runLabel(run.state)),
        ` · ${zone ? timeOf(run.dueAt, zone) : exactTime(run.dueAt)}`,
      ),
      run.detail && h("p", { class: "detail" }, excerpt(run.detail)),
      run.notifiedBy === "relay" && h("p", { class: "muted relayed" }, t("reminders.relayed")),
    );
  }

  function cancelledItem(schedule: Schedule): HTMLElement {
    return h(
      "li",
      { class: "reminder run-cancelled", "data-id": schedule.id, tabindex: -1 },
      subject(schedule.action, schedule.text),
      h(
        "p",
        { class: "muted reminder-when" },
        h("span", { class: "tag run-state run-cancelled" }, t("reminders.run.cancelled")),
        ` · ${exactTime(schedule.updatedAt)} · ${t("reminders.was", { when: schedule.when })}`,
      ),
    );
  }

  /** A schedule's entries: itself while active or cancelled, and its runs. */
  const entriesOf = (id: string | undefined) => [...element.querySelectorAll<HTMLElement>(".reminder")].filter((li) => li.dataset.id === id);

  function focusHighlighted(): void {
    const [first] = entriesOf(highlighted);
    first?.setAttribute("aria-current", "true");
    first?.scrollIntoView({ block: "center" });
    first?.focus({ preventScroll: true });
  }

  connection.onPush((push) => {
    if (push.event !== "schedule") return;
    const { schedule, run } = push.data;
    upsert(schedule);
    if (run) upsertRun(run);
    if (!loaded) return;
    if (run && run.state !== "started") {
      const state = () => (currentLanguage() === "en" ? runLabel(run.state).toLowerCase() : runLabel(run.state));
      say(() => t("reminders.ran", { action: actionLabel(run.action), text: run.text, state: state() }));
    }
    render();
  });
  onLanguage(() => render());
  // Time left counts down in place.
  setInterval(() => {
    for (const until of element.querySelectorAll<HTMLElement>("[data-until]")) until.textContent = formatRelative(Number(until.dataset.until));
  }, 1000);
  render();
  return {
    element,
    refresh,
    highlight(id) {
      highlighted = id;
      if (!loaded) return;
      render();
      focusHighlighted();
    },
  };
}

/** The reminder's text, or the job's prompt marked as one. */
function subject(action: Schedule["action"], text: string): HTMLElement {
  return h(
    "p",
    { class: "reminder-text" },
    action === "job" && h("span", { class: "tag job" }, t("reminders.job")),
    action === "job" && " ",
    h("strong", {}, text),
  );
}
