/**
 * One base error with a stable `code` and a `retryable` flag. Callers branch on `code` or on the
 * class, never on message text. Subclasses live beside the code that throws them. Codes come
 * from the catalogue in error-codes.ts, which also gives each its default retryability.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.ts';

export type { ErrorCode } from './error-codes.ts';

export class CrossdockError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  /** `retryable` defaults to the catalogue's; pass it only where this occurrence differs. */
  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
  }

  toJSON(): { code: string; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** Bad input from a user: a reference, a config file, a flag. Never retryable. */
export class InvalidInputError extends CrossdockError {
  readonly problems: string[];
  constructor(code: ErrorCode, problems: string[] | string, options: { cause?: unknown } = {}) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(code, list.join('; '), { retryable: false, cause: options.cause });
    this.problems = list;
  }
}

/** The work ran out of time (the caller's deadline, e.g. Lambda's remaining time). */
export class DeadlineExceededError extends CrossdockError {
  constructor(what: string, cause?: unknown) {
    super('DEADLINE_EXCEEDED', `${what}: deadline exceeded`, { cause });
  }
}

/** Normalises anything thrown into a CrossdockError, keeping the original as `cause`. */
export function asCrossdockError(error: unknown): CrossdockError {
  if (error instanceof CrossdockError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CrossdockError('INTERNAL', message, { cause: error });
}
