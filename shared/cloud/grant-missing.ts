/**
 * A destination in another account refused crossdock: its role cannot be assumed, or the role may
 * not do what replication needs. The grant is the destination owner's to give; retrying does not
 * help, so the task fails with this code rather than a registry's bare 403.
 */
import { CrossdockError } from '../errors.ts';

export class GrantMissingError extends CrossdockError {
  constructor(message: string, cause?: unknown) {
    super('GRANT_MISSING', message, { retryable: false, cause });
  }
}

/** An AWS API failed for another reason (throttling, an outage, a bad setting). */
export class CloudApiError extends CrossdockError {
  constructor(message: string, retryable: boolean, cause?: unknown) {
    super('CLOUD_API_FAILED', message, { retryable, cause });
  }
}

/** The SDK's error name and HTTP status, without its message's request ids. */
export function awsErrorOf(error: unknown): { name: string; status: number | undefined; message: string } {
  const e = error as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return { name: e?.name ?? e?.Code ?? 'Error', status: e?.$metadata?.httpStatusCode, message: e?.message ?? String(error) };
}

const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException']);

export function isDenied(error: unknown): boolean {
  const { name, status } = awsErrorOf(error);
  return DENIED.has(name) || status === 403;
}

/** Throttling, 5xx and network failures are worth retrying; the rest are not. */
export function isTransient(error: unknown): boolean {
  const { name, status } = awsErrorOf(error);
  if ((error as { $retryable?: unknown })?.$retryable) return true;
  return status === undefined ? !isDenied(error) : status >= 500 || status === 429 || /Throttl/.test(name);
}
