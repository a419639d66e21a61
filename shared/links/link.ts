/**
 * A sync link (issue 13): the one path between a source registry and a destination registry,
 * with a bandwidth cap shared by every task running on it, a limit of running tasks beyond which
 * tasks queue, and for a custom link a route (an HTTP proxy, and/or a private address at which a
 * registry is reached while its name is kept for TLS, the Host header and credentials). At most
 * one link joins a pair; tasks between registries without a link take the default path, uncapped.
 */
import { z } from 'zod';
import { normalizeRegistry } from '../oci/reference.ts';
import { isLoopbackRegistry } from '../oci/registry-options.ts';

export const LinkType = z.enum(['default', 'accelerated', 'custom']);
export type LinkType = z.infer<typeof LinkType>;

const Registry = z.string().trim().min(1, 'registry is required').transform(normalizeRegistry);

/** `host:port` (or `[v6]:port`): where to open connections instead of the registry's own address. */
const Address = z.string().trim().regex(/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port');

export const LinkRoute = z.strictObject({
  /** `http://host:port` or `https://host:port`: every request of the link's tasks goes through it. */
  proxy: z.string().trim().url().refine((url) => /^https?:\/\/[^/@]+\/?$/.test(url), 'http(s)://host:port, without credentials or a path').optional(),
  /** Where the source registry is reached (its name stays the TLS server name and Host). */
  sourceAddress: Address.optional(),
  /** Where the destination registry is reached (e.g. a VPC endpoint on a private network). */
  destinationAddress: Address.optional(),
});
export type LinkRoute = z.infer<typeof LinkRoute>;

/** What a client sends to create or replace a link (and what the local config lists). */
export const LinkInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Registry names as declared in the registries configuration, the keys rules use. */
  sourceRegistry: Registry,
  destinationRegistry: Registry,
  type: LinkType.default('default'),
  /** Bytes per second for all the link's running tasks together; absent: uncapped. */
  maxBandwidth: z.number().int().min(1024, 'at least 1024 bytes per second').optional(),
  /** Tasks running on the link at once; the others wait QUEUED in arrival order. Absent: no limit. */
  maxConcurrentTasks: z.number().int().min(1).max(10_000).optional(),
  enabled: z.boolean().default(true),
  route: LinkRoute.optional(),
});
export type LinkInput = z.infer<typeof LinkInput>;

export const Link = LinkInput.extend({
  id: z.string().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Link = z.infer<typeof Link>;

/** What a task record says about the link it used. */
export const LinkRef = z.strictObject({ id: z.string(), name: z.string(), type: LinkType });
export type LinkRef = z.infer<typeof LinkRef>;

/** The record of a task between registries that no link joins. */
export const DEFAULT_PATH: LinkRef = { id: 'default', name: 'default', type: 'default' };

/** The key of a link's pair: one link per (source, destination), whatever the spelling. */
export function pairKey(sourceRegistry: string, destinationRegistry: string): string {
  return `${registryName(sourceRegistry)}>${registryName(destinationRegistry)}`;
}

/** One registry under two spellings (case, localhost and 127.0.0.1 on one port) is one name. */
export function registryName(registry: string): string {
  const lower = normalizeRegistry(registry).toLowerCase();
  if (!isLoopbackRegistry(lower)) return lower;
  const port = /:(\d+)$/.exec(lower)?.[1];
  return port ? `127.0.0.1:${port}` : '127.0.0.1';
}

/** Problems the schema cannot see: a route belongs to a custom link, and a custom link has one. */
export function linkProblems(input: LinkInput): string[] {
  const problems: string[] = [];
  if (registryName(input.sourceRegistry) === registryName(input.destinationRegistry)) {
    problems.push('destinationRegistry: is the source registry; a link joins two registries');
  }
  const route = input.route;
  const routed = route !== undefined && (route.proxy !== undefined || route.sourceAddress !== undefined || route.destinationAddress !== undefined);
  if (input.type === 'custom' && !routed) problems.push('route: a custom link needs a proxy, a sourceAddress or a destinationAddress');
  if (input.type !== 'custom' && route !== undefined) problems.push(`route: only a custom link has a route (type is ${input.type})`);
  if (route?.proxy !== undefined && (route.sourceAddress !== undefined || route.destinationAddress !== undefined)) {
    problems.push('route: a proxy and private addresses do not combine (the proxy resolves the registries by name); give one or the other');
  }
  return problems;
}

/**
 * The `host:port` authorities a link's route connects to, each with the field naming it. They are
 * egress like any registry: each must be declared explicitly in the registries configuration,
 * so an API caller cannot aim the workers at a host the operator did not name.
 */
export function routeTargets(route: LinkRoute | undefined): Array<readonly [field: string, authority: string]> {
  if (!route) return [];
  const targets: Array<readonly [string, string]> = [];
  if (route.proxy) targets.push(['route.proxy', proxyAuthority(route.proxy)]);
  if (route.sourceAddress) targets.push(['route.sourceAddress', route.sourceAddress]);
  if (route.destinationAddress) targets.push(['route.destinationAddress', route.destinationAddress]);
  return targets;
}

/** `host:port` of a proxy URL, the scheme's default port made explicit. */
export function proxyAuthority(proxy: string): string {
  const url = new URL(proxy);
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

export function linkRef(link: Pick<Link, 'id' | 'name' | 'type'>): LinkRef {
  return { id: link.id, name: link.name, type: link.type };
}
