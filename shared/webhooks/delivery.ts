/**
 * What every provider parser shares: the context a delivery arrives with, payload validation that
 * turns zod issues into one WEBHOOK_PAYLOAD_INVALID error, and a collector that validates each
 * push against the reference grammar and counts what it drops, by reason.
 */
import type { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import { isTag, normalizeRegistry, parseRepositoryName } from '../oci/reference.ts';
import { type ParsedDelivery, type Provider, PushEvent } from './push-event.ts';

export interface DeliveryContext {
  /** Request headers, names lower-cased. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  /** The source registry host configured for this webhook; wins where the payload is unreliable. */
  registry?: string;
  receivedAt: Date;
}

export const PAYLOAD_INVALID = 'WEBHOOK_PAYLOAD_INVALID';

/**
 * Validates a third-party payload; every problem is listed in one error. `at` is the path of
 * `value` inside the body, when a part is read only once the envelope says what it holds.
 */
export function parsePayload<S extends z.ZodType>(provider: Provider, schema: S, value: unknown, at: PropertyKey[] = []): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `${provider} payload${formatPath([...at, ...issue.path])}: ${issue.message}`);
  throw new InvalidInputError(PAYLOAD_INVALID, problems, { cause: parsed.error });
}

export function invalidPayload(provider: Provider, problem: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(PAYLOAD_INVALID, `${provider} payload: ${problem}`, { cause });
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '';
  return ' ' + path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

/** A push as a provider reports it, before the reference grammar has looked at it. */
export interface PushCandidate {
  /** The registry as the payload names it (or the provider's only one); a configured one wins. */
  registry: string | undefined;
  /**
   * The payload names its registry reliably (the login server, the server hostname, the image
   * path): when a registry is configured for the source and this one differs, the push is for
   * another registry and is ignored as `other-registry`, not redirected to either.
   */
  namesRegistry?: boolean;
  repository: string;
  tag?: string | undefined;
  digest?: string | undefined;
  mediaType?: string | undefined;
  eventId?: string | undefined;
  occurredAt?: string | undefined;
}

export interface DeliveryCollector {
  push(candidate: PushCandidate): void;
  /** A delete of a tag at the source (see ParsedDelivery.deletes). */
  remove(candidate: PushCandidate): void;
  ignore(reason: string, count?: number): void;
  result(): ParsedDelivery;
}

// The digest grammar without the length check: the ECR docs sample has 60 hex characters and the
// Azure docs samples redact digests with `xxxx`; the registry rejects a bad digest soon enough.
const LOOSE_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function createCollector(provider: Provider, context: Pick<DeliveryContext, 'registry'>): DeliveryCollector {
  const events: PushEvent[] = [];
  const deletes: PushEvent[] = [];
  const ignoredReasons: Record<string, number> = {};
  let ignored = 0;

  function ignore(reason: string, count = 1): void {
    ignored += count;
    ignoredReasons[reason] = (ignoredReasons[reason] ?? 0) + count;
  }

  /** The candidate as an event, or the reason it cannot be one. */
  function accept(candidate: PushCandidate): PushEvent | string {
    // One policy for every provider: a manifest pushed by digest alone is not replicated. Each
    // multi-arch push reports its children that way before (or beside) the index pushed by tag,
    // and copying the index copies them (distribution, GitHub, GAR, ECR per the README); a tag
    // rule cannot match a push without a tag anyway. Harbor reports "no tag" as tag = digest.
    const tag = candidate.tag === undefined || candidate.tag === '' || candidate.tag.includes(':') ? undefined : candidate.tag;
    if (tag === undefined) return 'untagged';
    // A source configured as registry A speaks for A only (issue 8: payloads naming B created
    // tasks for B); a provider whose payload names no registry reliably simply gets A.
    const configured = context.registry;
    if (configured !== undefined && candidate.namesRegistry && candidate.registry !== undefined && !sameHost(configured, candidate.registry)) return 'other-registry';
    const name = resolveName(configured ?? candidate.registry, candidate.repository);
    const digest = candidate.digest === '' ? undefined : candidate.digest;
    // A name, tag or digest outside the reference grammar cannot be copied; counting it (rather
    // than failing the delivery) keeps providers that retry every 4xx forever from piling up.
    if (name === undefined || !isTag(tag) || (digest !== undefined && !LOOSE_DIGEST.test(digest))) return 'invalid-reference';
    return PushEvent.parse({
      provider,
      ...name,
      tag,
      ...(digest === undefined ? {} : { digest }),
      ...(candidate.mediaType ? { mediaType: candidate.mediaType } : {}),
      ...(candidate.eventId ? { eventId: candidate.eventId } : {}),
      ...(candidate.occurredAt ? { occurredAt: candidate.occurredAt } : {}),
    });
  }

  function push(candidate: PushCandidate): void {
    const event = accept(candidate);
    if (typeof event === 'string') ignore(event);
    else events.push(event);
  }

  /**
   * A tag deleted at the source: counted as ignored (it is no push), and kept for the rules that
   * replicate deletions. A delete by digest alone names no tag to remove at a destination.
   */
  function remove(candidate: PushCandidate): void {
    ignore('delete');
    const event = accept(candidate);
    if (typeof event !== 'string') deletes.push(event);
  }

  return { push, remove, ignore, result: () => ({ events, ignored, ignoredReasons, ...(deletes.length > 0 ? { deletes } : {}) }) };
}

function resolveName(registry: string | undefined, repository: string): { registry: string; repository: string } | undefined {
  if (registry === undefined || registry === '') return undefined;
  const host = normalizeRegistry(registry.toLowerCase());
  try {
    const name = parseRepositoryName(`${host}/${repository}`);
    // `myhost/app` reads as Docker Hub's `myhost/app`: a host must have a dot, a port or be localhost.
    return name.registry === host ? name : undefined;
  } catch (error) {
    if (error instanceof InvalidInputError) return undefined;
    throw error;
  }
}

/** One host under two spellings: case, Docker Hub's aliases, an explicit default HTTPS port. */
export function sameHost(a: string, b: string): boolean {
  const canonical = (host: string) => normalizeRegistry(host.toLowerCase().replace(/:443$/, ''));
  return canonical(a) === canonical(b);
}

/** `host[:port]` of an absolute URL or of a scheme-less `host/path` (Harbor's resource_url). */
export function hostOf(url: string | undefined): string | undefined {
  if (url === undefined || url === '' || url.startsWith('/')) return undefined;
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`;
  return URL.canParse(withScheme) ? new URL(withScheme).host || undefined : undefined;
}
