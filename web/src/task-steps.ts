/**
 * Chat steps that follow a task: a call that waits for the owner's approval shows one line, and that
 * line changes in place as the task's pushes arrive (running, then done, denied, expired, failed or
 * cancelled). Pushes missed while this device was away are made up for after each reconnect.
 */
import type { Task } from "@ora/protocol";
import type { Connection } from "./connection.js";
import { clear, h } from "./dom.js";
import { isOpen, taskStepWords } from "./task-words.js";

interface Watched {
  tool: string;
  line: HTMLElement;
  updatedAt: number;
  onChange?: (task: Task) => void;
}

export class TaskSteps {
  private readonly watched = new Map<string, Watched>();

  constructor(private readonly connection: Connection) {
    connection.onPush((push) => push.event === "task" && this.apply(push.data.task));
    connection.onReady(() => void this.catchUp());
  }

  /** Follows a task in a step line; `onChange` hears each new state, the last one when it has ended. */
  watch(id: string, tool: string, line: HTMLElement, onChange?: (task: Task) => void): void {
    line.classList.add("task-step");
    line.dataset.task = id;
    this.watched.set(id, { tool, line, updatedAt: 0, ...(onChange ? { onChange } : {}) });
  }

  private apply(task: Task): void {
    const watched = this.watched.get(task.id);
    if (!watched || task.updatedAt < watched.updatedAt) return;
    watched.updatedAt = task.updatedAt;
    const detail = task.state === "failed" && task.error ? ` (${task.error.message})` : "";
    watched.line.className = `task-step ${task.state}`;
    watched.line.dataset.state = task.state;
    clear(watched.line, h("code", {}, watched.tool), ` ${taskStepWords(task.state)}${detail}`);
    if (!isOpen(task)) this.watched.delete(task.id);
    watched.onChange?.(task);
  }

  private async catchUp(): Promise<void> {
    for (const [id, { line }] of [...this.watched]) {
      // A line no longer on screen ("New" cleared the conversation) needs no news.
      if (!line.isConnected) {
        this.watched.delete(id);
        continue;
      }
      try {
        this.apply((await this.connection.request("tasks.get", { id })).task);
      } catch {
        // The PC is away: its pushes, or the next reconnect, bring the news.
      }
    }
  }
}
