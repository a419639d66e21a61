/**
 * Registry authentication: anonymous, Basic, and the Docker/OCI bearer token flow. The first
 * request pings `/v2/` to learn the challenge; bearer tokens are fetched per set of scopes and
 * cached until shortly before they expire; a 401 refreshes once with the scopes it names.
 */
import { request } from 'undici';
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { challengeScopes, parseChallenges, type Challenge } from './challenge.ts';
import type { CredentialProvider } from './credential-provider.ts';
import { EgressRefusedError, egressRefusal, schemeProblem } from './egress-policy.ts';
import type { RegistryOptions } from './registry-options.ts';
import { RegistryError, RegistryUnreachableError, isTlsVerificationError } from './registry-error.ts';
import { parseRetryAfter } from './retry.ts';
import type { Transport } from './transport.ts';

const TokenResponse = z.looseObject({
  token: z.string().optional(),
  access_token: z.string().optional(),
  expires_in: z.number().optional(),
  issued_at: z.string().optional(),
});

/** The token spec's minimum lifetime when a server does not say. */
const DEFAULT_TOKEN_LIFETIME_S = 60;
const EXPIRY_MARGIN_MS = 10_000;
/**
 * Tokens a client keeps, one per set of scopes: a service copying across many repositories would
 * otherwise keep one per repository pair it ever met, expired or not. Past this, expired tokens
 * go first, then the least recently used.
 */
export const MAX_CACHED_TOKENS = 256;

export class AuthError extends CrossdockError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('REGISTRY_AUTH_FAILED', message, { retryable: options.retryable ?? false, cause: options.cause });
  }
}

interface CachedToken {
  value: Promise<string>;
  expiresAt: number;
}

type Credentials = Pick<RegistryOptions, 'username' | 'password' | 'identityToken'>;

type Scheme = { kind: 'none' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service: string | undefined };

export interface AuthenticatorOptions {
  credentials: Credentials;
  /** Short-lived credentials (a cloud registry's token): asked for on each use, in place of `credentials`. */
  provider?: CredentialProvider;
  userAgent: string;
  logger: Logger;
  now?: () => number;
}

export class Authenticator {
  readonly #transport: Transport;
  readonly #options: AuthenticatorOptions;
  readonly #tokens = new Map<string, CachedToken>();
  #scheme: Promise<Scheme> | undefined;
  /** Scopes the registry asked for beyond ours (e.g. Docker Hub adds some); kept for later tokens. */
  readonly #extraScopes = new Set<string>();

  constructor(transport: Transport, options: AuthenticatorOptions) {
    this.#transport = transport;
    this.#options = options;
  }

  /** The Authorization header value for a request needing `scopes`, or undefined (anonymous). */
  async authorization(scopes: string[], signal?: AbortSignal): Promise<string | undefined> {
    const scheme = await this.#learnScheme(signal);
    switch (scheme.kind) {
      case 'none':
        return undefined;
      case 'basic':
        return basicOf(await this.#credentials(signal));
      case 'bearer':
        return `Bearer ${await this.#token(scheme, scopes, signal)}`;
    }
  }

  /**
   * A request came back 401: learn from its challenge and forget the token it used.
   * Returns false when nothing could change the outcome (no credentials for a Basic realm).
   */
  async refresh(wwwAuthenticate: string | string[] | undefined, scopes: string[]): Promise<boolean> {
    const challenge = pickChallenge(parseChallenges(wwwAuthenticate));
    if (!challenge) return false;
    const scheme = schemeOf(challenge);
    this.#scheme = Promise.resolve(scheme);
    if (scheme.kind === 'basic') {
      // A provider's credentials may have been revoked or rotated early: ask it again.
      if (this.#options.provider) {
        this.#options.provider.invalidate?.();
        return true;
      }
      return basicOf(this.#options.credentials) !== undefined;
    }
    if (scheme.kind === 'bearer') {
      for (const scope of challengeScopes(challenge)) if (!scopes.includes(scope)) this.#extraScopes.add(scope);
      this.#tokens.delete(this.#key(scopes));
      return true;
    }
    return false;
  }

  #learnScheme(signal?: AbortSignal): Promise<Scheme> {
    this.#scheme ??= this.#ping(signal).catch((error) => {
      this.#scheme = undefined;
      throw error;
    });
    return this.#scheme;
  }

  async #ping(signal?: AbortSignal): Promise<Scheme> {
    const origin = await this.#transport.origin();
    let res;
    try {
      res = await request(`${origin}/v2/`, {
        dispatcher: this.#transport.dispatcher,
        method: 'GET',
        headers: { 'user-agent': this.#options.userAgent },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw egressRefusal(error) ?? new RegistryUnreachableError(`ping ${this.#transport.registry}`, error, !isTlsVerificationError(error));
    }
    await res.body.dump();
    if (res.statusCode === 401) {
      const challenge = pickChallenge(parseChallenges(res.headers['www-authenticate']));
      return challenge ? schemeOf(challenge) : { kind: 'basic' };
    }
    if (res.statusCode >= 500 || res.statusCode === 429) {
      // The ping is retried by the client's retry layer like any request: it waits as told.
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], (this.#options.now ?? Date.now)());
      throw new RegistryError(`ping ${this.#transport.registry}`, res.statusCode, [], '', retryAfterMs);
    }
    // 200, or a registry without a /v2/ ping (some answer 404): start anonymous and learn on 401.
    return { kind: 'none' };
  }

  #credentials(signal?: AbortSignal): Promise<Credentials> {
    const provider = this.#options.provider;
    return provider ? provider.credentials(signal ? { signal } : {}) : Promise.resolve(this.#options.credentials);
  }

  #key(scopes: string[]): string {
    return [...new Set([...scopes, ...this.#extraScopes])].sort().join(' ');
  }

  #token(scheme: Extract<Scheme, { kind: 'bearer' }>, scopes: string[], signal?: AbortSignal): Promise<string> {
    const key = this.#key(scopes);
    const now = (this.#options.now ?? Date.now)();
    const cached = this.#tokens.get(key);
    if (cached && cached.expiresAt > now) {
      // Most recently used last: eviction takes from the front.
      this.#tokens.delete(key);
      this.#tokens.set(key, cached);
      return cached.value;
    }
    const entry: CachedToken = { value: Promise.resolve(''), expiresAt: Number.POSITIVE_INFINITY };
    entry.value = this.#fetchToken(scheme, key.split(' ').filter(Boolean), signal).then(
      ({ token, lifetimeMs }) => {
        // Renew a little early, but never so early that a short-lived token is never reused.
        entry.expiresAt = (this.#options.now ?? Date.now)() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 2);
        return token;
      },
      (error) => {
        this.#tokens.delete(key);
        throw error;
      },
    );
    this.#tokens.delete(key);
    this.#tokens.set(key, entry);
    this.#evict(now);
    return entry.value;
  }

  /** How many tokens are cached (bounded by MAX_CACHED_TOKENS). */
  get cachedTokens(): number {
    return this.#tokens.size;
  }

  #evict(now: number): void {
    if (this.#tokens.size <= MAX_CACHED_TOKENS) return;
    for (const [key, token] of this.#tokens) if (token.expiresAt <= now) this.#tokens.delete(key);
    for (const key of this.#tokens.keys()) {
      if (this.#tokens.size <= MAX_CACHED_TOKENS) break;
      this.#tokens.delete(key);
    }
  }

  async #fetchToken(scheme: Extract<Scheme, { kind: 'bearer' }>, scopes: string[], signal?: AbortSignal): Promise<{ token: string; lifetimeMs: number }> {
    try {
      return await this.#fetchTokenWith(await this.#credentials(signal), scheme, scopes, signal);
    } catch (error) {
      // Refused with a provider's credentials: they may have been revoked before their expiry.
      // Ask the provider once more (it may then say why, e.g. a withdrawn grant) and retry.
      const provider = this.#options.provider;
      if (!(error instanceof AuthError) || !provider?.invalidate) throw error;
      provider.invalidate();
      return this.#fetchTokenWith(await this.#credentials(signal), scheme, scopes, signal);
    }
  }

  async #fetchTokenWith(credentials: Credentials, scheme: Extract<Scheme, { kind: 'bearer' }>, scopes: string[], signal?: AbortSignal): Promise<{ token: string; lifetimeMs: number }> {
    const { username, password, identityToken } = credentials;
    const url = new URL(scheme.realm);
    // The realm comes from the registry's answer: confine it like a redirect (issue 8).
    const problem = schemeProblem(url, { origin: await this.#transport.origin(), insecure: this.#transport.insecure });
    if (problem) throw new EgressRefusedError(`token realm of ${this.#transport.registry} refused: ${problem}`);
    const headers: Record<string, string> = { 'user-agent': this.#options.userAgent };
    let method: 'GET' | 'POST' = 'GET';
    let body: string | undefined;
    if (identityToken) {
      // OAuth2 refresh-token grant (docker/distribution docs: oauth.md).
      method = 'POST';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: identityToken, client_id: 'crossdock' });
      if (scheme.service) form.set('service', scheme.service);
      for (const scope of scopes) form.append('scope', scope);
      body = form.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (scheme.service) url.searchParams.set('service', scheme.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (username !== undefined) headers.authorization = 'Basic ' + Buffer.from(`${username}:${password ?? ''}`).toString('base64');
    }
    const what = `token for ${this.#transport.registry} (${scopes.join(' ') || 'no scope'})`;
    let res;
    try {
      res = await request(url, { dispatcher: this.#transport.dispatcher, method, headers, ...(body ? { body } : {}), ...(signal ? { signal } : {}) });
    } catch (error) {
      const refused = egressRefusal(error);
      if (refused) throw new EgressRefusedError(`${what}: token realm refused: ${refused.message}`);
      throw new RegistryUnreachableError(what, error, !isTlsVerificationError(error));
    }
    const text = await res.body.text();
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new AuthError(`${what}: token server refused the ${username !== undefined || identityToken ? 'credentials' : 'anonymous request'} (${res.statusCode})`);
    }
    if (res.statusCode !== 200) throw new RegistryError(what, res.statusCode);
    let parsed;
    try {
      parsed = TokenResponse.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    const token = parsed?.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (!token) throw new AuthError(`${what}: token server answered without a token`);
    const lifetimeS = parsed!.data!.expires_in && parsed!.data!.expires_in > 0 ? parsed!.data!.expires_in : DEFAULT_TOKEN_LIFETIME_S;
    this.#options.logger.debug('token issued', { registry: this.#transport.registry, scopes, expires_in: lifetimeS });
    return { token, lifetimeMs: lifetimeS * 1000 };
  }
}

function basicOf({ username, password }: Credentials): string | undefined {
  if (username === undefined) return undefined;
  return 'Basic ' + Buffer.from(`${username}:${password ?? ''}`).toString('base64');
}

function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ?? challenges.find((c) => c.scheme === 'basic');
}

function schemeOf(challenge: Challenge): Scheme {
  if (challenge.scheme === 'bearer' && challenge.params.realm) {
    return { kind: 'bearer', realm: challenge.params.realm, service: challenge.params.service };
  }
  if (challenge.scheme === 'basic') return { kind: 'basic' };
  return { kind: 'none' };
}
