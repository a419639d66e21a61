/** Errors a registry, or the road to it, gives us; `retryable` follows HTTP semantics. */
import { CrossdockError, type ErrorCode } from '../errors.ts';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'REGISTRY_BAD_REQUEST',
  401: 'REGISTRY_UNAUTHORIZED',
  403: 'REGISTRY_DENIED',
  404: 'REGISTRY_NOT_FOUND',
  405: 'REGISTRY_UNSUPPORTED',
  408: 'REGISTRY_TIMEOUT',
  409: 'REGISTRY_CONFLICT',
  413: 'REGISTRY_TOO_LARGE',
  416: 'REGISTRY_RANGE_INVALID',
  429: 'REGISTRY_RATE_LIMITED',
};

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/** An HTTP answer we did not want, with the OCI error codes from its body (`BLOB_UNKNOWN`, …). */
export class RegistryError extends CrossdockError {
  readonly status: number;
  readonly ociCodes: string[];
  /** Milliseconds the registry asked us to wait (`Retry-After`), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(what: string, status: number, ociCodes: string[] = [], detail = '', retryAfterMs?: number, retryable = isRetryableStatus(status)) {
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'REGISTRY_UNAVAILABLE' : 'REGISTRY_ERROR');
    const codes = ociCodes.length > 0 ? ` ${ociCodes.join(',')}` : '';
    super(code, `${what}: registry answered ${status}${codes}${detail ? `: ${detail}` : ''}`, { retryable });
    this.status = status;
    this.ociCodes = ociCodes;
    this.retryAfterMs = retryAfterMs;
  }
}

/** A registry answer that breaks the distribution spec: bad JSON, a missing header. Retryable: a proxy or cache in between may have mangled it. */
export class RegistryProtocolError extends CrossdockError {
  constructor(what: string, why: string) {
    super('REGISTRY_PROTOCOL', `${what}: ${why}`);
  }
}

/** The connection failed or broke: refused, reset, timed out, TLS failure. */
export class RegistryUnreachableError extends CrossdockError {
  constructor(what: string, cause: unknown, retryable = true) {
    const reason = describeNetworkError(cause);
    super(retryable ? 'REGISTRY_UNREACHABLE' : 'REGISTRY_TLS_FAILED', `${what}: ${reason}`, { retryable, cause });
  }
}

export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const causeCode = cause ? (cause as { code?: string }).code : undefined;
  const parts = [code ?? causeCode, cause?.message ?? error.message].filter((p) => p !== undefined && p !== '');
  return parts.join(' ');
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
]);

/** Certificate problems are a configuration matter: retrying cannot fix them. */
export function isTlsVerificationError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (TLS_CODES.has((e as { code?: string }).code ?? '')) return true;
  }
  return false;
}
