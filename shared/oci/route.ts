/**
 * A route (sync links, issue 13): how a registry is reached other than directly. Through an HTTP
 * proxy (plain-HTTP requests are forwarded one by one, HTTPS goes through a CONNECT tunnel), or
 * at a private address (`host:port`, e.g. an endpoint on a private network) while the registry's
 * name stays the TLS server name, the Host header and the key of its credentials. Route targets
 * are egress like registries: each must be declared explicitly (by host:port, never through a
 * pattern), whoever wrote the route.
 */
import { isIP } from 'node:net';
import { buildConnector, ProxyAgent, type Dispatcher } from 'undici';
import { normalizeRegistry, registryApiHost } from './reference.ts';
import { isMetadataName } from './address-class.ts';
import type { DeclaredRegistries } from './egress-policy.ts';

export interface Route {
  /** `http://host:port` or `https://host:port`. */
  proxy?: string;
  /** Registry (as named in references) → `host:port` to connect to instead. */
  addresses?: Record<string, string>;
}

/** Why a route may not be used under a declaration; every problem, each naming its target. */
export function routeProblems(declared: DeclaredRegistries, route: Route): string[] {
  const problems: string[] = [];
  const check = (what: string, authority: string) => {
    const host = authority.startsWith('[') ? authority.slice(1, authority.indexOf(']')) : authority.replace(/:\d+$/, '');
    if (isMetadataName(host)) problems.push(`${what} ${authority} is an instance-metadata service; crossdock never contacts it`);
    else if (!declared.declaresExplicitly(authority)) problems.push(`${what} ${authority} is not declared: declare it by host:port in the service's registries (CROSSDOCK_REGISTRIES, or registries: in the local config file), e.g. "${authority}": {}`);
  };
  if (route.proxy) check('proxy', proxyHostPort(route.proxy));
  for (const address of Object.values(route.addresses ?? {})) check('address', address);
  return problems;
}

export function proxyHostPort(proxy: string): string {
  const url = new URL(proxy);
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** The address a route gives for a registry, if any (keys compared as registries are). */
export function routedAddress(route: Route | undefined, registry: string): string | undefined {
  if (!route?.addresses) return undefined;
  const wanted = normalizeRegistry(registry).toLowerCase();
  return Object.entries(route.addresses).find(([name]) => normalizeRegistry(name).toLowerCase() === wanted)?.[1];
}

/**
 * A connector that opens the registry's connections at `address` instead; the target keeps the
 * registry's name as TLS server name. The connector below it (the egress guard) judges the
 * address's authority, which must be declared explicitly.
 */
export function addressedConnector(registry: string, address: string, below: buildConnector.connector): buildConnector.connector {
  const authority = registryApiHost(registry);
  const colon = address.lastIndexOf(':');
  const hostname = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = address.slice(colon + 1);
  return function addressedConnect(target, callback) {
    const targetAuthority = target.host ?? (target.port ? `${target.hostname}:${target.port}` : target.hostname);
    if (targetAuthority.toLowerCase() !== authority.toLowerCase()) {
      below(target, callback);
      return;
    }
    const servername = target.servername ?? (isIP(target.hostname) ? undefined : target.hostname);
    below({ ...target, hostname, port, host: address, ...(servername ? { servername } : {}) }, callback);
  };
}

/** Every request through the proxy: plain HTTP forwarded request by request, HTTPS tunnelled. */
export function proxyDispatcher(proxy: string, tls: object, timeouts: { headersTimeout: number; bodyTimeout: number }): Dispatcher {
  return new ProxyAgent({ uri: proxy, proxyTunnel: false, requestTls: tls, keepAliveTimeout: 30_000, ...timeouts });
}
