/**
 * One registry, layered like go-containerregistry's transport: base transport (undici Agent)
 * → retry (backoff, Retry-After, per-host pacing, deadline) → auth (challenge, token per scope,
 * one refresh on 401) → redirects for GETs (Authorization never crosses to another host).
 *
 * Retry is owned by one layer per operation and said explicitly (go-containerregistry's
 * `retry.Never(ctx)`): a request retries under its `retry` option, the client's policy by
 * default; a layer that retries a larger operation itself (a manifest read, a whole blob copy)
 * runs it with `retrying()` and sends the requests inside with `retry: 'never'`, so attempts
 * never multiply.
 */
import { Readable } from 'node:stream';
import { Agent, request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { Authenticator } from './auth.ts';
import type { CredentialProvider } from './credential-provider.ts';
import { createGuardedConnector, type EgressPolicy } from './egress-connector.ts';
import { EgressRefusedError, egressRefusal, schemeProblem } from './egress-policy.ts';
import type { RegistryOptions } from './registry-options.ts';
import { RegistryDirectory } from './registry-directory.ts';
import { RegistryError, RegistryUnreachableError, isTlsVerificationError } from './registry-error.ts';
import { DEFAULT_RETRY_POLICY, HostBackoff, parseRetryAfter, realSleep, retry, sleepWithinDeadline, type RetryContext, type RetryDecision, type RetryPolicy, type Sleep } from './retry.ts';
import type { Route } from './route.ts';
import { createTransport, type Transport } from './transport.ts';

export const USER_AGENT = 'crossdock/0.1';
const MAX_REDIRECTS = 5;
const MAX_ERROR_BODY = 64 * 1024;

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface CallOptions {
  /** Epoch milliseconds; no retry sleeps or starts past it. */
  deadline?: number;
  signal?: AbortSignal;
  /**
   * Who retries this call: a policy (the client's when absent), or 'never' when an outer layer
   * retries the whole operation this call is part of. A streamed body is never retried here.
   */
  retry?: RetryPolicy | 'never';
}

/** One attempt: what an outer layer that owns the retry passes down. */
const ONCE: Pick<RetryPolicy, 'attempts'> = { attempts: 1 };

export interface RegistryRequest extends CallOptions {
  method: HttpMethod;
  /** Path under the origin, `/v2/...`, or an absolute URL the registry gave us (upload Location). */
  path: string;
  headers?: Record<string, string>;
  /** A Buffer is replayable; a stream is sent once and never retried by the transport. */
  body?: Buffer | string | Readable;
  /** Token scopes the request needs, e.g. `repository:library/alpine:pull`. */
  scopes: string[];
  /** Status codes the caller handles; any other becomes a RegistryError. */
  expect: number[];
  /** Names the operation in errors: `GET manifest library/alpine:3`. */
  what: string;
  followRedirects?: boolean;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The URL that answered, after redirects: relative upload Locations resolve against it. */
  url: string;
}

export interface ClientContext {
  directory: RegistryDirectory;
  retryPolicy?: RetryPolicy;
  hostBackoff?: HostBackoff;
  sleep?: Sleep;
  logger?: Logger;
  userAgent?: string;
  now?: () => number;
  /** The service's allowed-hosts policy; absent for the CLI, which acts with its user's authority. */
  egress?: EgressPolicy;
  /** How this registry is reached other than directly (a sync link's proxy or private address). */
  route?: Route;
  /** Short-lived credentials and repository creation for this registry (a cloud registry). */
  provider?: CredentialProvider;
  /**
   * Told of every manifest GET sent (retries and token refreshes included): the pulls Docker
   * Hub's rate limit counts. A hook, so that metrics live outside the registry client.
   */
  onManifestGet?: (registry: string) => void;
}

/** `/v2/<name>/manifests/<reference>`: what a registry counts as a pull. */
const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/;

const OciErrorBody = z.looseObject({ errors: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })).optional() });

/** The registry API client for one registry host. */
export class RegistryClient {
  readonly registry: string;
  readonly options: RegistryOptions;
  readonly #transport: Transport;
  readonly #auth: Authenticator;
  readonly #policy: RetryPolicy;
  readonly #hostBackoff: HostBackoff;
  readonly #sleep: Sleep;
  readonly #logger: Logger;
  readonly #userAgent: string;
  readonly #now: () => number;
  readonly #egress: EgressPolicy | undefined;
  #foreign: Dispatcher | undefined;
  /** What this registry was found to support, learnt once and kept with its client. */
  readonly supports: { referrersApi?: boolean } = {};
  readonly #provider: CredentialProvider | undefined;
  /** Repositories the provider made sure of (ensureRepository), once each. */
  readonly #ensured = new Map<string, Promise<void>>();
  readonly #onManifestGet: ((registry: string) => void) | undefined;

  constructor(registry: string, options: RegistryOptions, context: Omit<ClientContext, 'directory'> = {}) {
    this.registry = registry;
    this.options = options;
    this.#userAgent = context.userAgent ?? USER_AGENT;
    this.#egress = context.egress;
    this.#onManifestGet = context.onManifestGet;
    this.#transport = createTransport(registry, options, this.#userAgent, context.egress, context.route);
    this.#logger = (context.logger ?? silentLogger).child({ registry });
    this.#provider = context.provider;
    this.#auth = new Authenticator(this.#transport, {
      credentials: options,
      userAgent: this.#userAgent,
      logger: this.#logger,
      ...(context.provider ? { provider: context.provider } : {}),
      ...(context.now ? { now: context.now } : {}),
    });
    this.#policy = context.retryPolicy ?? DEFAULT_RETRY_POLICY;
    this.#hostBackoff = context.hostBackoff ?? new HostBackoff(context.now);
    this.#sleep = context.sleep ?? realSleep;
    this.#now = context.now ?? Date.now;
  }

  get retryPolicy(): RetryPolicy {
    return this.#policy;
  }

  /**
   * Runs an operation larger than one request under the call's retry policy, with this client's
   * clock and deadline: the layer that calls this owns the retry and sends every request inside
   * with `retry: 'never'`. `classify` says which failures are worth another attempt; by default
   * the retryable ones, waiting as long as a registry's Retry-After asked.
   */
  retrying<T>(
    what: string,
    options: CallOptions,
    attempt: (n: number) => Promise<T>,
    classify: (error: unknown) => RetryDecision = retryDecision,
    onRetry: (info: { attempt: number; delayMs: number; error: unknown }) => void = ({ attempt: n, delayMs, error }) =>
      this.#logger.warn('request retry', { what, attempt: n, delay_ms: delayMs, error: error instanceof Error ? error.message : String(error) }),
  ): Promise<T> {
    return retry(what, this.#context(options), attempt, classify, onRetry);
  }

  #context(options: CallOptions): RetryContext {
    const policy = options.retry === 'never' ? { ...this.#policy, ...ONCE } : (options.retry ?? this.#policy);
    return {
      policy,
      sleep: this.#sleep,
      now: this.#now,
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }

  /** Sends a request, retrying it under its `retry` option; the caller consumes or dumps the body. */
  async send(req: RegistryRequest): Promise<RegistryResponse> {
    await this.#ensureRepositories(req);
    const replayable = !(req.body instanceof Readable);
    return this.retrying(req.what, { ...req, ...(replayable ? {} : { retry: 'never' as const }) }, () => this.#attempt(req, replayable));
  }

  /** Before the first request that may push to a repository, the provider may create it. */
  async #ensureRepositories(req: RegistryRequest): Promise<void> {
    const provider = this.#provider;
    if (!provider?.ensureRepository) return;
    const call: CallOptions = { ...(req.deadline ? { deadline: req.deadline } : {}), ...(req.signal ? { signal: req.signal } : {}) };
    for (const scope of req.scopes) {
      const match = /^repository:(.+):([a-z*,]+)$/.exec(scope);
      if (!match || !match[2]!.split(',').some((a) => a === 'push' || a === '*')) continue;
      const repository = match[1]!;
      let ensured = this.#ensured.get(repository);
      if (!ensured) {
        ensured = provider.ensureRepository(repository, call).catch((error: unknown) => {
          this.#ensured.delete(repository);
          throw error;
        });
        this.#ensured.set(repository, ensured);
      }
      await ensured;
    }
  }

  async #attempt(req: RegistryRequest, replayable: boolean): Promise<RegistryResponse> {
    const wait = this.#hostBackoff.remaining(this.registry);
    if (wait > 0) await sleepWithinDeadline(wait, this.#context(req), req.what);
    let res = await this.#authorizedOnce(req);
    let refreshed = false;
    if (res.status === 401 && !req.expect.includes(401)) {
      refreshed = await this.#auth.refresh(res.headers['www-authenticate'], req.scopes);
      if (refreshed && replayable) {
        await res.body.dump();
        res = await this.#authorizedOnce(req);
      }
    }
    if (req.followRedirects && isRedirect(res.status)) res = await this.#followRedirects(req, res);
    this.#paceByRateLimit(res.headers);
    if (req.expect.includes(res.status)) return res;
    const error = await this.#errorFrom(req, res);
    // A streamed body cannot be sent again here; with a fresh token the caller's retry can.
    if (res.status === 401 && refreshed && !replayable) throw new RegistryError(req.what, 401, error.ociCodes, 'token refreshed; send the body again', undefined, true);
    throw error;
  }

  async #authorizedOnce(req: RegistryRequest): Promise<RegistryResponse> {
    const origin = await this.#transport.origin();
    const url = req.path.startsWith('http://') || req.path.startsWith('https://') ? req.path : `${origin}${req.path}`;
    const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...req.headers };
    const authorization = await this.#auth.authorization(req.scopes, req.signal);
    // An upload Location may point at another host; our credentials stay with our registry.
    if (authorization && sameOrigin(url, origin)) headers.authorization = authorization;
    if (this.#onManifestGet && req.method === 'GET' && MANIFEST_PATH.test(req.path)) this.#onManifestGet(this.registry);
    return this.#raw(req, url, headers, this.#transport.dispatcher);
  }

  async #raw(req: RegistryRequest, url: string, headers: Record<string, string>, dispatcher: Dispatcher): Promise<RegistryResponse> {
    try {
      const res = await request(url, {
        dispatcher,
        method: req.method,
        headers,
        ...(req.body === undefined ? {} : { body: req.body }),
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    } catch (error) {
      if (req.signal?.aborted) throw error;
      const refused = egressRefusal(error);
      if (refused) throw new EgressRefusedError(`${req.what}: ${refused.message}`);
      throw new RegistryUnreachableError(req.what, error, !isTlsVerificationError(error));
    }
  }

  async #followRedirects(req: RegistryRequest, first: RegistryResponse): Promise<RegistryResponse> {
    let res = first;
    const origin = await this.#transport.origin();
    for (let hop = 0; hop < MAX_REDIRECTS && isRedirect(res.status); hop++) {
      const location = res.headers.location;
      await res.body.dump();
      if (typeof location !== 'string') throw new RegistryError(`${req.what}: redirect without Location`, res.status);
      const target = new URL(location, res.url);
      // A registry may send us to its storage, not anywhere: no downgrade to plain HTTP, and the
      // connector refuses metadata, link-local and undeclared internal addresses.
      const problem = schemeProblem(target, { origin, insecure: this.#transport.insecure });
      if (problem) throw new EgressRefusedError(`${req.what}: redirect to ${target.origin} refused: ${problem}`);
      const next = target.toString();
      const headers: Record<string, string> = { 'user-agent': this.#userAgent, ...req.headers };
      if (sameOrigin(next, origin)) {
        const authorization = await this.#auth.authorization(req.scopes, req.signal);
        if (authorization) headers.authorization = authorization;
        res = await this.#raw(req, next, headers, this.#transport.dispatcher);
      } else {
        // Storage backends (S3, CDNs) authorize by the presigned URL, never by our token.
        this.#foreign ??= this.#transport.foreign ?? new Agent({ keepAliveTimeout: 30_000, ...(this.#egress ? { connect: createGuardedConnector(this.#egress, {}) } : {}) });
        res = await this.#raw(req, next, headers, this.#foreign);
      }
    }
    if (isRedirect(res.status)) {
      await res.body.dump();
      throw new RegistryError(`${req.what}: more than ${MAX_REDIRECTS} redirects`, res.status);
    }
    return res;
  }

  /**
   * `RateLimit-Remaining: 0` (IETF RateLimit headers; Docker Hub sends `0;w=21600`) with a
   * `RateLimit-Reset` in seconds: pause this registry until then instead of spending requests
   * that will be refused.
   */
  #paceByRateLimit(headers: RegistryResponse['headers']): void {
    const remaining = headers['ratelimit-remaining'];
    if (typeof remaining !== 'string' || !/^\s*0\s*(;|$)/.test(remaining)) return;
    const reset = Number(String(headers['ratelimit-reset'] ?? '').split(';')[0]);
    if (Number.isFinite(reset) && reset > 0) this.#hostBackoff.delay(this.registry, Math.min(reset, this.#policy.maxRetryAfterMs / 1000) * 1000);
  }

  async #errorFrom(req: RegistryRequest, res: RegistryResponse): Promise<RegistryError> {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], this.#now());
    if (retryAfterMs !== undefined && (res.status === 429 || res.status === 503)) this.#hostBackoff.delay(this.registry, retryAfterMs);
    let codes: string[] = [];
    let detail = '';
    if (req.method !== 'HEAD') {
      const text = await readLimited(res.body, MAX_ERROR_BODY);
      try {
        const parsed = OciErrorBody.safeParse(JSON.parse(text));
        if (parsed.success && parsed.data.errors) {
          codes = parsed.data.errors.map((e) => e.code ?? 'UNKNOWN');
          detail = parsed.data.errors.map((e) => e.message).filter(Boolean).join('; ');
        }
      } catch {
        // Not an OCI error body (a proxy's HTML page, say): the status says enough.
      }
    } else {
      await res.body.dump();
    }
    return new RegistryError(req.what, res.status, codes, detail, retryAfterMs);
  }

  async close(): Promise<void> {
    await Promise.all([this.#transport.close(), this.#foreign?.close()]);
  }
}

/** Retryable failures are retried, as soon as a registry's Retry-After allows. */
export function retryDecision(error: unknown): RetryDecision {
  return {
    retryable: error instanceof CrossdockError && error.retryable,
    ...(error instanceof RegistryError && error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  };
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size < limit) chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}
