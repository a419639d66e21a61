import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';
import { createCertificate } from './tls.ts';
import { startTokenIssuer, type TokenIssuer, type TokenIssuerOptions } from './token-issuer.ts';

export const TEST_USERNAME = 'tester';
export const TEST_PASSWORD = 'tester-pass';
const READY_TIMEOUT_MS = 10_000;

export type RegistryOptions = {
  auth?: 'htpasswd' | 'token';
  tls?: boolean;
  /** A Distribution notifications endpoint (webhook) receiving push/pull events. */
  notify?: { url: string; headers?: Record<string, string[]> };
  /** Appears in the temp directory name and the notification endpoint name. */
  name?: string;
  /** Extra token issuer options (users default to tester/tester-pass). */
  token?: Omit<TokenIssuerOptions, 'service' | 'issuer'>;
};

export type TestRegistry = {
  /** "127.0.0.1:PORT" */
  host: string;
  /** http(s)://host */
  url: string;
  port: number;
  credentials?: { username: string; password: string };
  tls?: { certFile: string; certPem: string };
  tokenIssuer?: TokenIssuer;
  dataDir: string;
  close(): Promise<void>;
};

// Registries still running when the test process exits (a crash, a missing after()) are killed,
// so that no orphan keeps a port or a temp directory busy.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function findRegistryBinary(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    for (const name of ['docker-registry', 'registry']) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not in this PATH entry; keep looking
      }
    }
  }
  throw new Error('startRegistry: no docker-registry or registry binary on PATH; apt-get install -y docker-registry');
}

/** GET /v2/ once; resolves the status code, or undefined when the connection failed. */
function probe(url: string, ca: string | undefined): Promise<number | undefined> {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(`${url}/v2/`, { method: 'GET', timeout: 1000, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Resolves true once the child has exited, or false after `ms`. */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    if (!(await waitForExit(child, 5000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5000);
    }
  }
  running.delete(child);
}

/**
 * Start CNCF Distribution (Debian's docker-registry 2.8) on a free loopback port, with its
 * storage, config and log in a fresh temp directory. With auth 'token' a token issuer is started
 * too, and closed with the registry.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  // freePort() releases the port before the registry binds it; another process may take it between.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRegistryOnce(options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !err.message.includes('address already in use')) throw err;
    }
  }
}

async function startRegistryOnce(options: RegistryOptions): Promise<TestRegistry> {
  const binary = findRegistryBinary();
  const name = options.name ?? 'registry';
  const dir = await mkdtemp(join(tmpdir(), `crossdock-${name}-`));
  const dataDir = join(dir, 'data');
  let tokenIssuer: TokenIssuer | undefined;
  let child: ChildProcess | undefined;
  const cleanup = async (): Promise<void> => {
    if (child) await stopProcess(child);
    await tokenIssuer?.close();
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await mkdir(dataDir);
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const http: Record<string, unknown> = { addr: host, secret: randomBytes(16).toString('hex') };
    const config: Record<string, unknown> = {
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true } },
      http,
    };
    const registry: TestRegistry = { host, url: `http://${host}`, port, dataDir, close: cleanup };

    if (options.tls) {
      const cert = await createCertificate(dir);
      http['tls'] = { certificate: cert.certFile, key: cert.keyFile };
      registry.url = `https://${host}`;
      registry.tls = { certFile: cert.certFile, certPem: cert.certPem };
    }
    if (options.auth === 'htpasswd') {
      // Cost 4 (bcrypt's minimum): Distribution checks the hash on every request, and cost 10 adds tens of ms to each.
      // Distribution 2.8's htpasswd reader expects Apache's $2y$ prefix.
      const hash = bcrypt.hashSync(TEST_PASSWORD, 4).replace(/^\$2[ab]\$/, '$2y$');
      const htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, `${TEST_USERNAME}:${hash}\n`);
      config['auth'] = { htpasswd: { realm: 'crossdock-test', path: htpasswd } };
      registry.credentials = { username: TEST_USERNAME, password: TEST_PASSWORD };
    } else if (options.auth === 'token') {
      tokenIssuer = await startTokenIssuer({ users: { [TEST_USERNAME]: TEST_PASSWORD }, ...options.token });
      config['auth'] = {
        token: {
          realm: tokenIssuer.realm,
          service: tokenIssuer.service,
          issuer: tokenIssuer.issuer,
          rootcertbundle: tokenIssuer.certFile,
        },
      };
      registry.credentials = { username: TEST_USERNAME, password: TEST_PASSWORD };
      registry.tokenIssuer = tokenIssuer;
    }
    if (options.notify) {
      config['notifications'] = {
        endpoints: [
          {
            name: `crossdock-${name}`,
            url: options.notify.url,
            headers: options.notify.headers ?? {},
            timeout: '2s',
            threshold: 3,
            backoff: '200ms',
          },
        ],
      };
    }

    const configFile = join(dir, 'config.yml');
    const logFile = join(dir, 'registry.log');
    await writeFile(configFile, stringify(config));
    const log = openSync(logFile, 'w');
    try {
      child = spawn(binary, ['serve', configFile], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    running.add(child);
    const started = child;
    let spawnError: Error | undefined;
    started.once('error', (err) => {
      spawnError = err;
    });

    const deadline = Date.now() + READY_TIMEOUT_MS;
    let status: number | undefined;
    while (Date.now() < deadline) {
      status = await probe(registry.url, registry.tls?.certPem);
      if (status === 200 || status === 401) return registry;
      if (spawnError || started.exitCode !== null || started.signalCode !== null) break;
      await sleep(50);
    }
    const output = await readFile(logFile, 'utf8').catch(() => '');
    const why = spawnError
      ? `spawn failed: ${spawnError.message}`
      : started.exitCode !== null || started.signalCode !== null
        ? `exited with ${started.exitCode ?? started.signalCode}`
        : `GET /v2/ answered ${status ?? 'nothing'} within ${READY_TIMEOUT_MS} ms`;
    throw new Error(`startRegistry: ${binary} on ${host} did not start (${why}); log:\n${output}`);
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Start n registries in parallel with the same options; names get a -0, -1… suffix. */
export async function startRegistries(n: number, options: RegistryOptions = {}): Promise<TestRegistry[]> {
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => startRegistry({ ...options, name: `${options.name ?? 'registry'}-${i}` })),
  );
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => r.close()));
    throw failed.reason;
  }
  return started;
}
