/**
 * The base transport: one undici Agent per registry (keep-alive, TLS settings), and the
 * registry's origin. TLS is verified unless the registry is configured `insecure`; insecure and
 * loopback registries are tried over HTTPS first and fall back to plain HTTP, as Docker does.
 */
import { Agent, buildConnector, request, type Dispatcher } from 'undici';
import { createGuardedConnector, type EgressPolicy } from './egress-connector.ts';
import { egressRefusal } from './egress-policy.ts';
import { isLoopbackRegistry, type RegistryOptions } from './registry-options.ts';
import { RegistryDirectory } from './registry-directory.ts';
import { registryApiHost } from './reference.ts';
import { addressedConnector, proxyDispatcher, routedAddress, type Route } from './route.ts';
import { RegistryUnreachableError, isTlsVerificationError } from './registry-error.ts';

export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** Longest silence while a body streams; a stalled blob transfer fails and is retried whole. */
export const DEFAULT_BODY_TIMEOUT_MS = 120_000;

export interface Transport {
  readonly registry: string;
  /** Declared `insecure`: plain HTTP and unverified TLS are allowed for it. */
  readonly insecure: boolean;
  readonly dispatcher: Dispatcher;
  /** For redirects off the registry (storage): the route's proxy when there is one. */
  readonly foreign?: Dispatcher;
  /** `https://host` or `http://host`, decided once. */
  origin(): Promise<string>;
  close(): Promise<void>;
}

const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function isConnectionFailure(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (CONNECTION_FAILURES.has((e as { code?: string }).code ?? '')) return true;
  }
  return false;
}

/** With an egress policy (the service), every connection is checked by resolved address. */
export function createTransport(registry: string, options: RegistryOptions, userAgent: string, egress?: EgressPolicy, route?: Route): Transport {
  const host = registryApiHost(registry);
  const insecure = options.insecure === true;
  const ca = RegistryDirectory.caOf(options, registry);
  const tls = { rejectUnauthorized: !insecure, ...(ca ? { ca } : {}) };
  const timeouts = { headersTimeout: DEFAULT_HEADERS_TIMEOUT_MS, bodyTimeout: DEFAULT_BODY_TIMEOUT_MS };
  const address = routedAddress(route, registry);
  const base = egress ? createGuardedConnector(egress, tls) : buildConnector(tls);
  const dispatcher = route?.proxy
    ? proxyDispatcher(route.proxy, tls, timeouts)
    : new Agent({ connect: address ? addressedConnector(registry, address, base) : base, keepAliveTimeout: 30_000, ...timeouts });
  const foreign = route?.proxy ? proxyDispatcher(route.proxy, {}, timeouts) : undefined;
  let origin: Promise<string> | undefined;

  const probe = async (): Promise<string> => {
    const https = `https://${host}`;
    if (!insecure && !isLoopbackRegistry(host)) return https;
    try {
      const res = await request(`${https}/v2/`, { dispatcher, method: 'GET', headers: { 'user-agent': userAgent } });
      await res.body.dump();
      return https;
    } catch (error) {
      const refused = egressRefusal(error);
      if (refused) throw refused;
      if (isTlsVerificationError(error) && !insecure) {
        throw new RegistryUnreachableError(`registry ${registry}`, error, false);
      }
      // Nobody answering says nothing about TLS: fail now (not cached) rather than settle on HTTP.
      if (isConnectionFailure(error)) throw new RegistryUnreachableError(`registry ${registry}`, error);
      // The port answers but not in TLS: plain HTTP is allowed for this registry.
      return `http://${host}`;
    }
  };

  return {
    registry,
    insecure,
    dispatcher,
    ...(foreign ? { foreign } : {}),
    origin() {
      origin ??= probe().catch((error) => {
        origin = undefined;
        throw error;
      });
      return origin;
    },
    // The client closes `foreign` once it used it (no sockets before).
    close: () => dispatcher.close(),
  };
}
