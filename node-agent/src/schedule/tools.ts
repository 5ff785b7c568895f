/**
 * The schedule tools, for the model and for `/run`: reminders are LOW (the requester's own), jobs are
 * MEDIUM (a prompt that runs later as its user, so never for a guest of the private profile). They
 * go through the one enforcement point like every tool; the service checks ownership and limits.
 */
import { CATCH_UP_POLICIES } from "@ora/protocol";
import { z } from "zod";
import type { Tool } from "../safety/tool.js";
import type { ScheduleService } from "./service.js";

const When = z
  .string()
  .min(1)
  .max(200)
  .describe('When: "tomorrow 9am", "in 20 minutes", "every monday 8:00", "every weekday at 7:30", an ISO 8601 time, or "cron 0 8 * * 1-5"');
const TimeZone = z.string().min(1).max(64).describe("IANA time zone to read the time in; default: the user's").optional();
const CatchUp = z
  .enum(CATCH_UP_POLICIES)
  .describe('If the PC is off or asleep at that time: "late" runs it once when it is back, saying how late; "skip" leaves that time out')
  .optional();

const CreateArgs = z.object({ when: When, text: z.string().min(1).max(2000).describe("What to remind of"), timeZone: TimeZone, catchUp: CatchUp });
const JobArgs = z.object({ when: When, text: z.string().min(1).max(2000).describe("What the secretary should do then, as you would ask it"), timeZone: TimeZone, catchUp: CatchUp });
const ListArgs = z.object({ finished: z.boolean().default(false).describe("Include finished and cancelled ones") });
const CancelArgs = z.object({ id: z.string().min(1).max(64) });

export function scheduleTools(service: ScheduleService): Tool[] {
  const create: Tool<z.infer<typeof CreateArgs>> = {
    name: "schedule.create",
    description:
      "Sets a reminder for the user: at a time, after a delay, or recurring. The user is notified on their devices at that time, even when this PC sleeps. Answers with the exact time understood; tell the user.",
    args: CreateArgs,
    risk: "LOW",
    guestVisible: true,
    run: (args, { requester }) => service.create(requester, { action: "reminder", ...args }),
  };
  const job: Tool<z.infer<typeof JobArgs>> = {
    name: "schedule.job",
    description:
      "Schedules work for the secretary: at that time the text is run as a message from the user (with the user's permissions), and the answer is delivered as a notification.",
    args: JobArgs,
    risk: "MEDIUM",
    guestVisible: true,
    run: (args, { requester }) => service.create(requester, { action: "job", ...args }),
  };
  const list: Tool<z.infer<typeof ListArgs>> = {
    name: "schedule.list",
    description: "The user's reminders and scheduled jobs, with their next run (ms since the epoch) and recent runs.",
    args: ListArgs,
    risk: "LOW",
    guestVisible: true,
    run: ({ finished }, { requester }) => service.list(requester, { runs: 10, finished }),
  };
  const cancel: Tool<z.infer<typeof CancelArgs>> = {
    name: "schedule.cancel",
    description: "Cancels one of the user's reminders or scheduled jobs by id (see schedule.list).",
    args: CancelArgs,
    risk: "LOW",
    guestVisible: true,
    run: ({ id }, { requester }) => ({ schedule: service.cancel(requester, id) }),
  };
  return [create, job, list, cancel];
}
