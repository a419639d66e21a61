/**
 * Console sessions: a signed, expiring cookie, stateless so that a Lambda needs no session store.
 *
 * Signing keys are derived from the configured API keys (HMAC-SHA256 of a fixed label under each
 * key), one per key: a session names the key it was signed in with by a fingerprint, never the
 * key itself. Rotating an API key out of the configuration therefore ends every session opened
 * with it, and only those. The CSRF token is derived from the session's random id under the
 * same key, so it needs no storage either and changes with every sign-in.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const SESSION_COOKIE = 'crossdock_session';
export const DEFAULT_SESSION_TTL_MS = 8 * 3_600_000;

const SIGNING_LABEL = 'crossdock console session signing v1';
const FINGERPRINT_LABEL = 'crossdock console key fingerprint v1';

const Payload = z.strictObject({
  /** Fingerprint of the API key that signed in (not the key). */
  kid: z.string().regex(/^[A-Za-z0-9_-]{16}$/),
  /** Random session id: the CSRF token is derived from it. */
  sid: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  /** Epoch ms. */
  iat: z.number().int(),
  exp: z.number().int(),
});
export type Session = z.infer<typeof Payload>;

interface SigningKey {
  kid: string;
  key: Buffer;
}

export interface SessionKeys {
  /** The session for a cookie value, or undefined when it is forged, stale or from a removed key. */
  verify(cookie: string | undefined, now: number): Session | undefined;
  /** A new session for the API key at `index` of the configured keys. */
  issue(index: number, now: number): { session: Session; cookie: string };
  csrfToken(session: Session): string;
  checkCsrf(session: Session, presented: string | undefined): boolean;
  /** Index of the configured key equal to `presented`, or -1; constant time over every key. */
  matchApiKey(presented: string): number;
}

export function createSessionKeys(apiKeys: readonly string[], ttlMs = DEFAULT_SESSION_TTL_MS): SessionKeys {
  if (apiKeys.length === 0) throw new Error('createSessionKeys needs at least one API key');
  const keys: SigningKey[] = apiKeys.map((apiKey) => ({
    key: hmac(Buffer.from(apiKey), SIGNING_LABEL),
    kid: hmac(Buffer.from(apiKey), FINGERPRINT_LABEL).subarray(0, 12).toString('base64url'),
  }));
  const digests = apiKeys.map(sha256);
  const byKid = (kid: string) => keys.find((k) => k.kid === kid);

  return {
    verify(cookie, now) {
      if (!cookie) return undefined;
      const [body, mac, extra] = cookie.split('.');
      if (!body || !mac || extra !== undefined) return undefined;
      let parsed;
      try {
        parsed = Payload.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
      } catch {
        return undefined; // not JSON: a forged or truncated cookie
      }
      if (!parsed.success) return undefined;
      const signer = byKid(parsed.data.kid);
      if (!signer) return undefined;
      if (!sameBytes(hmac(signer.key, body), Buffer.from(mac, 'base64url'))) return undefined;
      if (parsed.data.exp <= now || parsed.data.iat > now + 60_000) return undefined;
      return parsed.data;
    },
    issue(index, now) {
      const signer = keys[index];
      if (!signer) throw new Error(`no API key at index ${index}`);
      const session: Session = { kid: signer.kid, sid: randomBytes(16).toString('base64url'), iat: now, exp: now + ttlMs };
      const body = Buffer.from(JSON.stringify(session)).toString('base64url');
      return { session, cookie: `${body}.${hmac(signer.key, body).toString('base64url')}` };
    },
    csrfToken(session) {
      return hmac(byKid(session.kid)!.key, `csrf:${session.sid}`).toString('base64url');
    },
    checkCsrf(session, presented) {
      const expected = Buffer.from(this.csrfToken(session));
      // Hashing both sides keeps the comparison constant-time whatever length was sent.
      return presented !== undefined && sameBytes(sha256(presented), sha256(expected.toString()));
    },
    matchApiKey(presented) {
      const candidate = sha256(presented);
      let found = -1;
      digests.forEach((digest, i) => {
        if (timingSafeEqual(digest, candidate) && found < 0) found = i;
      });
      return found;
    },
  };
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
