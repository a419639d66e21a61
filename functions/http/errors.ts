/**
 * One error shape for every HTTP answer: `{ "error": { "code", "message", "problems"? } }`.
 * Bad input lists every problem at once; internal failures say little and log the rest.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { CrossdockError, InvalidInputError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';

export interface ErrorBody {
  error: { code: string; message: string; problems?: string[] };
}

export function errorResponse(c: Context, status: ContentfulStatusCode, code: string, message: string, problems?: string[]) {
  const body: ErrorBody = { error: { code, message, ...(problems && problems.length > 0 ? { problems } : {}) } };
  return c.json(body, status);
}

export function zodProblems(error: ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` (${issue.keys.join(', ')})` : '';
    return `${path || 'body'}: ${issue.message}${keys}`;
  });
}

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  RULE_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  EXECUTION_NOT_FOUND: 404,
  TASK_CONFLICT: 409,
  SUBSCRIPTION_NOT_FOUND: 404,
  INVALID_CURSOR: 400,
};

/** Maps anything thrown in a handler to the error shape; unknown errors become a logged 500. */
export function handleError(error: unknown, c: Context, logger: Logger) {
  if (error instanceof InvalidInputError) return errorResponse(c, STATUS_BY_CODE[error.code] ?? 400, error.code, error.problems.length === 1 ? error.problems[0]! : 'invalid request', error.problems);
  if (error instanceof CrossdockError && STATUS_BY_CODE[error.code]) return errorResponse(c, STATUS_BY_CODE[error.code]!, error.code, error.message);
  if (error instanceof CrossdockError && error.code.startsWith('REGISTRY_')) return errorResponse(c, 502, error.code, error.message);
  logger.error('request failed', { path: c.req.path, method: c.req.method, error: error instanceof Error ? error.message : String(error), code: error instanceof CrossdockError ? error.code : undefined });
  return errorResponse(c, 500, 'INTERNAL', 'internal error; see the service log');
}
