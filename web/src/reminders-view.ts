/**
 * Reminders: what the PC will tell you, and when. A short form asks for a new one in words ("in 20
 * minutes", "every monday 8:00"), read by the PC in this device's time zone; the PC answers with the
 * exact time it understood. Then three lists: Upcoming (one-time, soonest first), Recurring (with
 * their pattern and next run) and Past (each run, and what was cancelled, newest first). `schedule`
 * pushes update the lists in place; a reconnect loads them again. `#reminders/<id>` highlights one.
 */
import { OraError, type Schedule, type ScheduleRun } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, duration, h } from "./dom.js";
import { explain } from "./errors.js";
import { ACTION_LABELS, deviceZone, exactTime, RUN_LABELS, timeOf, whenText } from "./schedule-words.js";
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
  const when = h("input", {
    id: "remind-when",
    required: true,
    maxlength: 200,
    autocomplete: "off",
    placeholder: "tomorrow 9am · in 20 min",
  });
  const what = h("input", { id: "remind-what", required: true, maxlength: 2000, autocomplete: "off", placeholder: "call the bank" });
  const add = h("button", { type: "submit", class: "primary" }, "Set reminder");
  const form = h(
    "form",
    { class: "remind-form", "aria-label": "New reminder", onsubmit: (event: Event) => (event.preventDefault(), void create()) },
    h("div", { class: "field" }, h("label", { for: "remind-when" }, "When"), when),
    h("div", { class: "field" }, h("label", { for: "remind-what" }, "What"), what),
    add,
  );
  const status = h("p", { class: "status", role: "status", "aria-live": "polite" });
  const upcoming = h("ul", { class: "reminders upcoming", "aria-label": "Upcoming" });
  const recurring = h("ul", { class: "reminders recurring", "aria-label": "Recurring" });
  const past = h("ul", { class: "reminders past", "aria-label": "Past" });
  const element = h(
    "section",
    { class: "reminder-list", "aria-label": "Reminders" },
    h("h2", {}, "Reminders"),
    h("p", { class: "muted intro" }, "Your PC keeps these and tells you at the time, on each device with notifications on."),
    form,
    status,
    h("h3", {}, "Upcoming"),
    upcoming,
    h("h3", {}, "Recurring"),
    recurring,
    h("h3", {}, "Past"),
    past,
  );
  let schedules: Schedule[] = [];
  let runs: ScheduleRun[] = [];
  let loaded = false;
  let unreadable = false;
  let highlighted: string | undefined;

  const say = (text: string, error = false) => {
    status.textContent = text;
    status.classList.toggle("error", error);
  };

  async function refresh(): Promise<void> {
    try {
      ({ schedules, runs } = await connection.request("schedules.list", { runs: RUNS }));
      if (!loaded || unreadable) say("");
      loaded = true;
      unreadable = false;
    } catch (error) {
      unreadable = true;
      say(explain(error), true);
    }
    render();
    if (highlighted !== undefined) focusHighlighted();
  }

  async function create(): Promise<void> {
    add.disabled = true;
    try {
      const { schedule, understood } = await connection.request("schedules.create", {
        when: when.value.trim(),
        text: what.value.trim(),
        timeZone: deviceZone(),
      });
      upsert(schedule);
      say(`${ACTION_LABELS[schedule.action]} set — ${understood}`);
      form.reset();
      render();
      when.focus();
    } catch (error) {
      say(explain(error), true);
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
      for (const list of [upcoming, recurring, past]) clear(list, !unreadable && h("li", { class: "empty" }, "Loading…"));
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
                ? "Nothing coming up."
                : h("span", {}, "No reminders yet. Set one above, or type ", h("code", {}, "/remind tomorrow 9am call the bank"), " in the chat."),
            ),
          ]),
    );
    clear(
      recurring,
      ...(repeating.length
        ? repeating.map(activeItem)
        : [h("li", { class: "empty" }, "Nothing recurring. Write ", h("q", {}, "every monday 8:00"), " in When to make one.")]),
    );
    clear(past, ...(ended.length ? ended.sort((a, b) => b.at - a.at).map((e) => e.item()) : [h("li", { class: "empty" }, "Nothing has run yet.")]));
    for (const li of entriesOf(highlighted)) li.classList.add("highlight");
  }

  function activeItem(schedule: Schedule): HTMLElement {
    const message = h("p", { class: "status", role: "status", "aria-live": "polite" });
    const cancel = h("button", { type: "button", class: "cancel danger", "aria-label": `Cancel ${schedule.text}`, onclick: () => void stop() }, "Cancel");
    async function stop(): Promise<void> {
      cancel.disabled = true;
      try {
        upsert((await connection.request("schedules.cancel", { id: schedule.id })).schedule);
        say(`Cancelled “${schedule.text}”: it will not run${schedule.kind === "recurring" ? " again" : ""}.`);
        render();
      } catch (error) {
        // It ended meanwhile (ran, or was cancelled elsewhere): the PC refuses, and the lists show what it is now.
        if (error instanceof OraError && (error.code === "denied" || error.code === "not_found")) {
          say(`“${schedule.text}” had already ended.`);
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
          schedule.nextAt !== null && h("span", {}, " · in ", h("span", { "data-until": schedule.nextAt }, duration(schedule.nextAt - Date.now()))),
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
        h("strong", { class: "run-state" }, RUN_LABELS[run.state]),
        ` · ${zone ? timeOf(run.dueAt, zone) : exactTime(run.dueAt)}`,
      ),
      run.detail && h("p", { class: "detail" }, excerpt(run.detail)),
      run.notifiedBy === "relay" && h("p", { class: "muted relayed" }, "Delivered by the relay while your PC was asleep."),
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
        h("strong", { class: "run-state" }, "Cancelled"),
        ` · ${exactTime(schedule.updatedAt)} · was “${schedule.when}”`,
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
    if (run && run.state !== "started") say(`${ACTION_LABELS[run.action]} “${run.text}”: ${RUN_LABELS[run.state].toLowerCase()}.`);
    render();
  });
  // Time left counts down in place.
  setInterval(() => {
    for (const until of element.querySelectorAll<HTMLElement>("[data-until]")) until.textContent = duration(Number(until.dataset.until) - Date.now());
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
  return h("p", { class: "reminder-text" }, action === "job" && h("span", { class: "tag" }, "Job"), action === "job" && " ", h("strong", {}, text));
}
