/** Exit codes are part of the CLI contract (README "Exit codes"). */
export const ExitCode = {
  ok: 0,
  failure: 1,
  badInput: 2,
  changesPending: 10,
} as const;

/** Bad input from the operator or the node (a file, a flag): exit 2, nothing changed. */
export class BadInputError extends Error {
  override name = "BadInputError";
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

/** Something failed while doing the work: exit 1. */
export class RuntimeFailure extends Error {
  override name = "RuntimeFailure";
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof BadInputError ? ExitCode.badInput : ExitCode.failure;
}
