/**
 * Every error code crossdock gives out, once: its category, the HTTP status an API answers with,
 * whether retrying may help, and what it means. Users script against these codes (HTTP bodies,
 * task records, `crossdock` output), so a code never changes meaning and is never built at run
 * time. One word order: NOUN_PROBLEM (`RULE_INVALID`, `TASK_NOT_FOUND`, `REGISTRY_UNAVAILABLE`).
 *
 * Adding a code is one line in ERROR_CODES below (kept in alphabetical order) and the same row in
 * the README's "Error codes" table; test/shared/error-codes.test.ts fails until both agree and
 * until every code the source uses is here. `CrossdockError` accepts only these codes.
 */

export type ErrorCategory =
  /** The caller's input: a body, a flag, a reference, a pattern. Fix the input. */
  | 'input'
  /** Who is asking could not be established. */
  | 'auth'
  | 'not-found'
  /** The thing is in a state that does not allow this now. */
  | 'conflict'
  | 'too-large'
  /** A registry, or the road to it, answered or failed in a way we did not want. */
  | 'registry'
  /** Bytes that do not match their digest or size. */
  | 'integrity'
  /** Refused by the service's own policy (declared registries, egress). */
  | 'policy'
  /** Passing load or state on our side; the same request later may succeed. */
  | 'transient'
  /** The work ran out of time. */
  | 'deadline'
  /** The operator's configuration or environment; the request cannot fix it. */
  | 'config'
  | 'internal';

export interface ErrorCodeInfo {
  category: ErrorCategory;
  /** What an HTTP API answers when a request fails with this code. */
  status: 400 | 401 | 404 | 409 | 413 | 500 | 502 | 503 | 504;
  /** The default: whether the same work may succeed when tried again. */
  retryable: boolean;
  description: string;
}

const code = (category: ErrorCategory, status: ErrorCodeInfo['status'], retryable: boolean, description: string): ErrorCodeInfo => ({ category, status, retryable, description });

export const ERROR_CODES = {
  CLOUD_API_FAILED: code('registry', 502, true, 'a cloud provider\'s API (STS, ECR) failed for another reason than a missing grant: throttling, an outage, a bad setting'),
  CONFIG_INVALID: code('input', 400, false, 'a configuration file, auth file or registry option is not valid'),
  CONFIG_UNREADABLE: code('input', 400, false, 'a configuration file cannot be read'),
  CURSOR_INVALID: code('input', 400, false, 'a page cursor that this API did not give out'),
  DATA_DIR_IN_USE: code('config', 500, false, 'another crossdock process serves the same data directory'),
  DEADLINE_EXCEEDED: code('deadline', 504, true, 'the work ran out of time (the caller\'s deadline, e.g. Lambda\'s remaining time)'),
  DIGEST_MISMATCH: code('integrity', 502, false, 'bytes read from the source hash to another digest than they should'),
  EGRESS_REFUSED: code('policy', 502, false, 'a connection to an address the egress policy refuses (metadata, link-local, undeclared internal)'),
  ENVIRONMENT_INVALID: code('config', 500, false, 'the service\'s environment variables are missing or not valid'),
  EXECUTION_NOT_FOUND: code('not-found', 404, false, 'no execution with that id'),
  FLAG_INVALID: code('input', 400, false, 'a command-line flag or argument is not valid'),
  GRANT_MISSING: code('policy', 502, false, 'a destination in another account does not grant crossdock what replication needs (its role cannot be assumed, or may not push); the destination owner must grant it'),
  INTERNAL: code('internal', 500, false, 'an unexpected failure; the service log has the details'),
  INTERRUPTED: code('transient', 503, true, 'the worker stopped during a task\'s copy (recorded on the task); it runs again'),
  JSON_INVALID: code('input', 400, false, 'a request body that is not valid JSON'),
  LINK_CONFLICT: code('conflict', 409, false, 'a link already joins that source and destination registry (the existing link is named)'),
  LINK_INVALID: code('input', 400, false, 'a link that is not valid (every problem is named)'),
  LINK_NOT_FOUND: code('not-found', 404, false, 'no link with that id'),
  LINK_SLOT_LOST: code('transient', 503, true, 'a task\'s slot lease on its sync link ran out before it was renewed (a starved worker): it stops, keeping resumable progress as at a deadline, and runs again'),
  LINK_STATE_BUSY: code('transient', 503, true, 'a link\'s shared slot state kept changing under every attempt to update it (contention); the task tries again'),
  MANIFEST_INVALID: code('registry', 502, false, 'a manifest that is not valid JSON or lacks required fields'),
  MANIFEST_TOO_LARGE: code('registry', 502, false, 'a manifest larger than registries accept (4 MiB)'),
  MANIFEST_UNSUPPORTED: code('registry', 502, false, 'a manifest of a kind crossdock does not copy (Docker schema 1)'),
  NOTIFICATION_FAILED: code('transient', 503, true, 'a notification target did not accept a delivery (it is retried with backoff; a 4xx is not retried)'),
  NOT_FOUND: code('not-found', 404, false, 'no such API route'),
  OUTPUT_UNWRITABLE: code('input', 400, false, 'an output file named on the command line cannot be written'),
  PLATFORM_INVALID: code('input', 400, false, 'a platform filter that is not os/arch[/variant]'),
  PORT_IN_USE: code('config', 500, false, 'the port the local runtime should listen on is taken'),
  QUEUE_PROVISIONING: code('config', 500, false, 'the task queue or its dead-letter queue could not be set up'),
  QUEUE_SEND_FAILED: code('transient', 503, true, 'the queue did not accept a message (the step or request is retried)'),
  RECORD_INVALID: code('internal', 500, false, 'a stored record (rule, subscription, task) does not match its schema'),
  REFERENCE_INVALID: code('input', 400, false, 'an image reference that is not registry/repository[:tag][@digest]'),
  REGISTRY_AUTH_FAILED: code('registry', 502, false, 'a registry\'s token server refused the credentials or gave no token'),
  REGISTRY_BAD_REQUEST: code('registry', 502, false, 'a registry answered 400'),
  REGISTRY_CONFLICT: code('registry', 502, false, 'a registry answered 409'),
  REGISTRY_DENIED: code('registry', 502, false, 'a registry answered 403: the credentials may not do this'),
  REGISTRY_ERROR: code('registry', 502, false, 'a registry answered with another status than expected'),
  REGISTRY_NOT_ALLOWED: code('policy', 400, false, 'a registry that the service configuration does not declare'),
  REGISTRY_NOT_FOUND: code('registry', 502, false, 'a registry answered 404: no such repository, manifest or blob'),
  REGISTRY_PROTOCOL: code('registry', 502, true, 'a registry answer that breaks the distribution spec (bad JSON, no upload Location)'),
  REGISTRY_RANGE_INVALID: code('registry', 502, false, 'a registry answered 416 to an upload chunk'),
  REGISTRY_RATE_LIMITED: code('registry', 502, true, 'a registry answered 429'),
  REGISTRY_TIMEOUT: code('registry', 502, true, 'a registry answered 408'),
  REGISTRY_TLS_FAILED: code('registry', 502, false, 'a registry\'s TLS certificate cannot be verified'),
  REGISTRY_TOO_LARGE: code('registry', 502, false, 'a registry answered 413'),
  REGISTRY_UNAUTHORIZED: code('registry', 502, false, 'a registry answered 401 with the credentials given'),
  REGISTRY_UNAVAILABLE: code('registry', 502, true, 'a registry answered 5xx'),
  REGISTRY_UNREACHABLE: code('registry', 502, true, 'the connection to a registry failed or broke'),
  REGISTRY_UNSUPPORTED: code('registry', 502, false, 'a registry answered 405: it does not support the operation'),
  REQUEST_INVALID: code('input', 400, false, 'a request body, query or parameter that is not valid; `problems` lists each'),
  RULE_INVALID: code('input', 400, false, 'a rule that is not valid; `problems` lists each problem'),
  RULE_NOT_FOUND: code('not-found', 404, false, 'no rule with that id'),
  SCHEDULE_INVALID: code('input', 400, false, 'a schedule that is neither a rate (at least 5m) nor five cron fields'),
  SECRET_INVALID: code('config', 500, false, 'a secret the service reads is missing or not readable'),
  SERVICE_STARTING: code('transient', 503, true, 'the local runtime is still starting'),
  SIZE_MISMATCH: code('integrity', 502, false, 'a blob\'s byte count differs from its descriptor'),
  SUBSCRIPTION_INVALID: code('input', 400, false, 'a subscription that is not valid; `problems` lists each problem'),
  SUBSCRIPTION_NOT_FOUND: code('not-found', 404, false, 'no subscription with that id'),
  TABLE_MISMATCH: code('config', 500, false, 'an existing table\'s keys or indexes differ from what crossdock needs'),
  TABLE_PROVISIONING: code('transient', 503, true, 'a table did not become ACTIVE in time'),
  TAG_PATTERN_INVALID: code('input', 400, false, 'a tag pattern that is not a valid RE2 expression, or too complex'),
  TASK_CONFLICT: code('conflict', 409, false, 'a task in a state that does not allow this (e.g. retrying one still running)'),
  TASK_NOT_FOUND: code('not-found', 404, false, 'no task with that id'),
  TASK_STORE_THROTTLED: code('transient', 503, true, 'the task table left reads unprocessed (throttling)'),
  TRANSFER_PAUSED: code('transient', 503, true, 'a blob transfer stopped at the invocation\'s deadline with its progress saved; the next delivery resumes it'),
  UNAUTHENTICATED: code('auth', 401, false, 'no API key, or one that is not valid'),
  WEBHOOK_PAYLOAD_INVALID: code('input', 400, false, 'a webhook body the provider\'s parser does not accept'),
  WEBHOOK_PROVIDER_UNKNOWN: code('not-found', 404, false, 'no webhook provider by that name'),
  WEBHOOK_SOURCE_UNKNOWN: code('not-found', 404, false, 'no webhook source by that name is configured for the provider'),
  WEBHOOK_TOO_LARGE: code('too-large', 413, false, 'a webhook body over 1 MiB'),
  WEBHOOK_UNAUTHENTICATED: code('auth', 401, false, 'a webhook delivery whose authenticity check failed'),
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

/** The catalogue's entry for a code; INTERNAL's for a string that is none (a record written by an older version). */
export function errorCodeInfo(value: string): ErrorCodeInfo {
  return isErrorCode(value) ? ERROR_CODES[value] : ERROR_CODES.INTERNAL;
}
