/**
 * Signing in and out. A wrong key gets the same answer whichever key it resembles (every
 * configured key is compared, in constant time); the sign-in POST is refused from a foreign
 * origin (login CSRF); `next` only ever leads back into the console.
 */
import { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Logger } from '../../shared/log.ts';
import { formField, isSecure, sameOrigin, type ConsoleEnv } from './guard.ts';
import { render } from './render.tsx';
import { SESSION_COOKIE, type SessionKeys } from './session.ts';
import { SignInForm } from './sign-in-page.tsx';

const COOKIE_PATH = '/ui';

export function safeNext(next: string | undefined): string {
  return next && /^\/ui(\/|\?|$)/.test(next) && !next.startsWith('//') && !next.includes('\\') ? next : '/ui/tasks';
}

export function authRoutes(deps: { keys: SessionKeys; ttlMs: number; now: () => number; logger: Logger }) {
  const signIn = (c: import('./guard.ts').ConsoleContext, next: string, problem?: string, status: 200 | 401 | 403 = 200) =>
    render(c, { title: 'Sign in', signedOut: true, status, body: <SignInForm next={next} {...(problem ? { problem } : {})} /> });

  return new Hono<ConsoleEnv>()
    .get('/sign-in', (c) => signIn(c, safeNext(c.req.query('next'))))
    .post('/sign-in', async (c) => {
      const next = safeNext(await formField(c, 'next'));
      if (!sameOrigin(c)) return signIn(c, next, 'Refused: sign in from the console itself.', 403);
      const presented = (await formField(c, 'apiKey')) ?? '';
      const index = presented === '' ? -1 : deps.keys.matchApiKey(presented);
      if (index < 0) {
        deps.logger.warn('console sign-in refused', {});
        return signIn(c, next, 'That API key is not valid. Use one of the service\'s API keys.', 401);
      }
      const { cookie } = deps.keys.issue(index, deps.now());
      setCookie(c, SESSION_COOKIE, cookie, { httpOnly: true, secure: isSecure(c), sameSite: 'Strict', path: COOKIE_PATH, maxAge: Math.floor(deps.ttlMs / 1000) });
      deps.logger.info('console signed in', {});
      return c.redirect(next, 303);
    });
}

/** Sign-out is a change like any other: it needs the session and its CSRF token. */
export function signOutRoute() {
  return new Hono<ConsoleEnv>().post('/sign-out', (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, secure: isSecure(c), httpOnly: true, sameSite: 'Strict' });
    return c.redirect('/ui/sign-in', 303);
  });
}
