import { createHash } from 'node:crypto';
import { Agent, request, type Dispatcher } from 'undici';
import type { TestRegistry } from './registry.ts';

// The smallest registry client that lets tests arrange and inspect content on their own,
// independent of crossdock's OCI client: no retries, no challenge parsing, no streaming.

/** What a helper needs to reach a registry: a TestRegistry, or the same fields for a proxy in front of one. */
export type RegistryTarget = Pick<TestRegistry, 'url' | 'credentials' | 'tls' | 'tokenIssuer'>;

export type Response = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

const agents = new Map<string, Agent>();

function dispatcherFor(target: RegistryTarget): Dispatcher {
  const key = target.tls?.certPem ?? '';
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent(target.tls ? { connect: { ca: target.tls.certPem } } : {});
    agents.set(key, agent);
  }
  return agent;
}

/** Close the keep-alive connections of every agent the helpers opened. */
export async function closeRegistryClients(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}

export function sha256Digest(bytes: Buffer | Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function authorization(target: RegistryTarget, repository: string | undefined): string | undefined {
  if (target.tokenIssuer) {
    // Minted directly so that the issuer's request log counts only the code under test.
    const access = repository ? [{ type: 'repository', name: repository, actions: ['pull', 'push'] }] : [];
    return `Bearer ${target.tokenIssuer.mintToken(access, target.credentials?.username ?? 'tester')}`;
  }
  if (target.credentials) {
    const { username, password } = target.credentials;
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  return undefined;
}

export type SendOptions = {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path below the registry URL ("/v2/…") or an absolute URL (a Location header). */
  path: string;
  /** The repository to authorize for; omit for /v2/. */
  repository?: string;
  headers?: Record<string, string>;
  body?: Buffer;
};

/** One request with the target's credentials; the body is read whole. */
export async function send(target: RegistryTarget, options: SendOptions): Promise<Response> {
  const url = new URL(options.path, target.url);
  const headers: Record<string, string> = { ...options.headers };
  const auth = authorization(target, options.repository);
  if (auth) headers['authorization'] = auth;
  if (options.body) headers['content-length'] = String(options.body.length);
  const res = await request(url, {
    method: options.method,
    headers,
    body: options.body ?? null,
    dispatcher: dispatcherFor(target),
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** send(), failing unless the status is one of `expected`. */
export async function sendExpecting(target: RegistryTarget, options: SendOptions, ...expected: number[]): Promise<Response> {
  const res = await send(target, options);
  if (!expected.includes(res.status)) {
    const snippet = res.body.subarray(0, 300).toString('utf8');
    throw new Error(`${options.method} ${options.path} on ${target.url}: expected ${expected.join('/')}, got ${res.status} ${snippet}`);
  }
  return res;
}

export function header(res: Response, name: string): string | undefined {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
