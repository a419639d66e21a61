/**
 * One error shape for every HTTP answer: `{ "error": { "code", "message", "retryable", "problems"? } }`,
 * its status from the code's entry in the catalogue (shared/error-codes.ts). Bad input lists every
 * problem at once; internal and configuration failures say little and log the rest.
 */
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../../shared/error-codes.ts';
import { CrossdockError, InvalidInputError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryable: boolean; problems?: string[] };
}

export function errorResponse(c: Context, code: ErrorCode, message: string, options: { problems?: string[]; retryable?: boolean } = {}) {
  const { status, retryable } = ERROR_CODES[code];
  const problems = options.problems && options.problems.length > 0 ? { problems: options.problems } : {};
  const body: ErrorBody = { error: { code, message, retryable: options.retryable ?? retryable, ...problems } };
  return c.json(body, status);
}

export function zodProblems(error: ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
    return `${path || 'body'}: ${issue.message}${keys}`;
  });
}

/** Maps anything thrown in a handler to the error shape; internal, configuration and unknown errors become a logged 500. */
export function handleError(error: unknown, c: Context, logger: Logger) {
  const category = error instanceof CrossdockError ? ERROR_CODES[error.code].category : 'internal';
  if (error instanceof CrossdockError && category !== 'internal' && category !== 'config') {
    if (error instanceof InvalidInputError) return errorResponse(c, error.code, error.problems.length === 1 ? error.problems[0]! : 'invalid request', { problems: error.problems });
    return errorResponse(c, error.code, error.message, { retryable: error.retryable });
  }
  logger.error('request failed', { path: c.req.path, method: c.req.method, error: error instanceof Error ? error.message : String(error), code: error instanceof CrossdockError ? error.code : undefined });
  return errorResponse(c, 'INTERNAL', 'internal error; see the service log');
}
