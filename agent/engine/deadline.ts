import { AsyncLocalStorage } from "node:async_hooks";

/** A point in time work must finish by, and the signal that fires there. */
export interface Deadline {
  /** `performance.now()` time it ends at. */
  at: number;
  signal: AbortSignal;
  /** Said in a message when it passes ("doctor check's 8 s"). */
  label: string;
}

const current = new AsyncLocalStorage<Deadline>();

/**
 * Runs `work` under a deadline: every command it starts (through the runner) is capped at what is left
 * and killed when the deadline passes, however deep in the work it was started.
 */
export function withDeadline<T>(d: Deadline, work: () => Promise<T>): Promise<T> {
  return current.run(d, work);
}

/** The deadline the calling work runs under, if any. */
export const currentDeadline = (): Deadline | undefined => current.getStore();

/** A command's timeout: its own, capped at what is left of the deadline it runs under. */
export function cappedTimeout(own: number | undefined, d: Deadline | undefined): number | undefined {
  if (!d) return own;
  const left = Math.max(1, Math.round(d.at - performance.now()));
  return own === undefined ? left : Math.min(own, left);
}
