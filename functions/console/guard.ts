/**
 * What every console request passes through: security headers with a per-response nonce for
 * the few inline scripts, the session (GET pages redirect to sign-in without one), and on every
 * change (POST) the same-origin check and the session's CSRF token, compared in constant time.
 */
import { randomBytes } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { SESSION_COOKIE, type Session, type SessionKeys } from './session.ts';

export interface ConsoleEnv {
  Variables: { nonce: string; session: Session; csrf: string };
}
export type ConsoleContext = Context<ConsoleEnv>;

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** Asked by the inline script: answer the page's live region only. */
export const FRAGMENT_HEADER = 'x-console-fragment';

export function securityHeaders(): MiddlewareHandler<ConsoleEnv> {
  return async function consoleHeaders(c, next) {
    const nonce = randomBytes(16).toString('base64');
    c.set('nonce', nonce);
    await next();
    c.header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    c.header('x-frame-options', 'DENY');
    c.header('cache-control', 'no-store');
  };
}

/** The origin the browser sees: the request's, or a TLS-terminating proxy's forwarded one. */
export function publicOrigin(c: Context): string {
  const url = new URL(c.req.url);
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  return `${proto === 'https' || proto === 'http' ? proto : url.protocol.slice(0, -1)}://${host || url.host}`;
}

export function isSecure(c: Context): boolean {
  return publicOrigin(c).startsWith('https:');
}

export function requireSession(keys: SessionKeys, now: () => number): MiddlewareHandler<ConsoleEnv> {
  return async function consoleSession(c, next) {
    const session = keys.verify(getCookie(c, SESSION_COOKIE), now());
    if (!session) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const next = new URL(c.req.url);
        return c.redirect(`/ui/sign-in?next=${encodeURIComponent(next.pathname + next.search)}`, 303);
      }
      return c.text('Not signed in, or the session expired: sign in again.', 401);
    }
    c.set('session', session);
    c.set('csrf', keys.csrfToken(session));
    await next();
  };
}

/**
 * A change must come from our own pages: a foreign Origin (or Sec-Fetch-Site) is refused before
 * the token is looked at, and the token must be this session's.
 */
export function requireCsrf(keys: SessionKeys): MiddlewareHandler<ConsoleEnv> {
  return async function consoleCsrf(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!sameOrigin(c)) return c.text('Refused: this change did not come from the console itself (Origin check).', 403);
    const presented = c.req.header(CSRF_HEADER) ?? (await formField(c, CSRF_FIELD));
    if (!keys.checkCsrf(c.get('session'), presented)) return c.text('Refused: the form is missing this session\'s CSRF token; reload the page and try again.', 403);
    await next();
  };
}

export function sameOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin !== undefined) return origin === publicOrigin(c);
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

export async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value : undefined;
}
