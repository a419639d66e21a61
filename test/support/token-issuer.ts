import { createPrivateKey, randomBytes, sign, timingSafeEqual, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificate } from './tls.ts';

// A Docker registry token server (https://distribution.github.io/distribution/spec/auth/token/).
// Distribution 2.8 (registry/auth/token/token.go) takes the signing key from the JWT header:
// `x5c` first, a chain of base64 (standard, padded) DER certificates whose leaf must verify
// against `rootcertbundle`. Our certificate is self-signed, so the leaf is the root itself.
// It accepts `exp` up to 60 s late and `nbf` 60 s early (token.Leeway).

export const DEFAULT_TOKEN_SERVICE = 'crossdock-test';
export const DEFAULT_TOKEN_ISSUER = 'crossdock-test-issuer';
export const DEFAULT_TOKEN_EXPIRES_IN = 300;

export type ResourceAccess = { type: string; name: string; actions: string[] };

export type TokenRequest = {
  /** The authenticated user, or undefined for an anonymous request. */
  username: string | undefined;
  service: string | undefined;
  /** The raw scope strings, e.g. "repository:app:pull,push". */
  scopes: string[];
  /** What the token granted; empty when the request was refused. */
  granted: ResourceAccess[];
  status: number;
};

export type TokenIssuerOptions = {
  /** username → password; Basic credentials are checked against this map. */
  users?: Record<string, string>;
  /** What anonymous requests get: "pull" only, or no access at all (an empty `access`). */
  anonymous?: 'pull' | 'none';
  /** Token lifetime in seconds (the `exp` claim and `expires_in`). */
  expiresIn?: number;
  service?: string;
  issuer?: string;
  /**
   * Stand-in for a cloud registry's own authorization (test/support/aws-control-plane.ts):
   * whether Basic credentials are accepted, in place of `users`, and which actions they get on
   * a resource (intersected with what was asked).
   */
  authenticate?: (username: string, password: string) => boolean;
  restrict?: (username: string, password: string, scope: ResourceAccess) => string[];
};

export type TokenIssuer = {
  /** The realm: http://127.0.0.1:PORT/token */
  realm: string;
  service: string;
  issuer: string;
  /** The signing certificate; Distribution's `rootcertbundle`. */
  certFile: string;
  certPem: string;
  /** Lifetime of tokens issued from now on; tests may change it. */
  expiresIn: number;
  /** Tokens handed out over HTTP (mintToken does not count). */
  issued: number;
  /** Every HTTP token request, refused ones included, in order. */
  requests: TokenRequest[];
  /** Sign a token directly, without an HTTP request and without counting it. */
  mintToken(access: ResourceAccess[], subject?: string): string;
  close(): Promise<void>;
};

const KNOWN_ACTIONS = new Set(['pull', 'push', 'delete', '*']);

/** Parse "type[(class)]:name:actions"; the name itself may contain colons (host:port/repo). */
export function parseScope(scope: string): ResourceAccess | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first).replace(/\(.*\)$/, ''),
    name: scope.slice(first + 1, last),
    actions: scope.slice(last + 1).split(',').filter((a) => a !== ''),
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Credentials = { username: string; password: string };

function parseBasic(header: string | undefined): Credentials | undefined | 'malformed' {
  if (header === undefined) return undefined;
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return 'malformed';
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Start a token server on a free loopback port, with an RSA key and self-signed certificate. */
export async function startTokenIssuer(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-token-issuer-'));
  const cert = await createCertificate(dir, {
    keyType: 'rsa',
    name: 'issuer',
    commonName: options.issuer ?? DEFAULT_TOKEN_ISSUER,
  }).catch(async (err: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw err;
  });
  const privateKey = createPrivateKey(cert.keyPem);
  const x5c = [new X509Certificate(cert.certPem).raw.toString('base64')];
  const users = options.users ?? {};
  const anonymous = options.anonymous ?? 'pull';

  const mintToken = (access: ResourceAccess[], subject = ''): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', x5c };
    const claims = {
      iss: issuer.issuer,
      sub: subject,
      aud: issuer.service,
      exp: now + issuer.expiresIn,
      nbf: now,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), privateKey);
    return `${signingInput}.${base64url(signature)}`;
  };

  const grant = (scope: ResourceAccess, credentials: Credentials | undefined): ResourceAccess => {
    const wanted = scope.actions.filter((a) => KNOWN_ACTIONS.has(a));
    let actions =
      credentials !== undefined ? wanted : anonymous === 'pull' ? wanted.filter((a) => a === 'pull') : [];
    if (credentials !== undefined && options.restrict) {
      const allowed = options.restrict(credentials.username, credentials.password, scope);
      actions = actions.filter((a) => allowed.includes(a));
    }
    return { type: scope.type, name: scope.name, actions };
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter((s) => s !== '');
    const service = url.searchParams.get('service') ?? undefined;
    const answer = (status: number, body: unknown, username?: string, granted: ResourceAccess[] = []): void => {
      issuer.requests.push({ username, service, scopes, granted, status });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (status === 401) headers['www-authenticate'] = 'Basic realm="crossdock-test-issuer"';
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/token') {
      answer(404, { errors: [{ code: 'NOT_FOUND', message: `${req.method} ${url.pathname}` }] });
      return;
    }
    const credentials = parseBasic(req.headers.authorization);
    if (credentials === 'malformed') {
      answer(400, { errors: [{ code: 'BAD_REQUEST', message: 'malformed Basic authorization' }] });
      return;
    }
    if (credentials !== undefined) {
      const expected = users[credentials.username];
      const accepted = options.authenticate
        ? options.authenticate(credentials.username, credentials.password)
        : expected !== undefined && sameSecret(expected, credentials.password);
      if (!accepted) {
        answer(401, { errors: [{ code: 'UNAUTHORIZED', message: 'wrong username or password' }] }, credentials.username);
        return;
      }
    }
    if (service !== issuer.service) {
      answer(400, { errors: [{ code: 'BAD_REQUEST', message: `unknown service ${String(service)}` }] });
      return;
    }
    const parsed = scopes.map(parseScope);
    if (parsed.some((s) => s === undefined)) {
      answer(400, { errors: [{ code: 'BAD_REQUEST', message: `malformed scope in ${scopes.join(' ')}` }] });
      return;
    }
    const username = credentials?.username;
    const granted = parsed.flatMap((s) => (s ? [grant(s, credentials)] : []));
    const token = mintToken(granted, username ?? '');
    issuer.issued += 1;
    answer(
      200,
      { token, access_token: token, expires_in: issuer.expiresIn, issued_at: new Date().toISOString() },
      username,
      granted,
    );
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;

  const issuer: TokenIssuer = {
    realm: `http://127.0.0.1:${port}/token`,
    service: options.service ?? DEFAULT_TOKEN_SERVICE,
    issuer: options.issuer ?? DEFAULT_TOKEN_ISSUER,
    certFile: cert.certFile,
    certPem: cert.certPem,
    expiresIn: options.expiresIn ?? DEFAULT_TOKEN_EXPIRES_IN,
    issued: 0,
    requests: [],
    mintToken,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return issuer;
}
