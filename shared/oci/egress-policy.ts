/**
 * Where the service may connect (issue 8, server-side request forgery), after Harbor's model of
 * registered endpoints: a registry is contacted only if an operator declared it, by host,
 * host:port or a pattern such as `*.dkr.ecr.*.amazonaws.com`. On top of that, by resolved
 * address: metadata and link-local addresses never; loopback and private addresses only for a
 * host declared explicitly (by name or IP, never by a pattern); public addresses freely (blob
 * redirects go to storage backends and CDNs nobody declares). The CLI has no policy: it acts with
 * its user's own authority.
 */
import { CrossdockError, InvalidInputError } from '../errors.ts';
import { classifyAddress, isMetadataName } from './address-class.ts';
import { normalizeRegistry } from './reference.ts';

/** The declaration hint every refusal carries. */
export const HOW_TO_DECLARE = 'declare it in the service\'s registries (CROSSDOCK_REGISTRIES, or registries: in the local config file), e.g. "HOST": {}';

/** A task or request names a registry the operator did not declare, or one never contacted. */
export class RegistryNotAllowedError extends CrossdockError {
  constructor(message: string) {
    super('REGISTRY_NOT_ALLOWED', message, { retryable: false });
  }
}

/** A connection (registry, redirect, token realm) was refused by address or scheme. */
export class EgressRefusedError extends CrossdockError {
  constructor(message: string) {
    super('EGRESS_REFUSED', message, { retryable: false });
  }
}

/** The refusal inside an error's cause chain (undici hands connector errors back wrapped or not). */
export function egressRefusal(error: unknown): EgressRefusedError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof EgressRefusedError) return e;
  }
  return undefined;
}

interface Pattern {
  text: string;
  regex: RegExp;
}

/** Registries an operator declared. Entries are `host`, `host:port`, `host/namespace` or patterns. */
export class DeclaredRegistries {
  readonly #exact = new Set<string>();
  readonly #patterns: Pattern[] = [];

  constructor(entries: Iterable<string>) {
    const problems: string[] = [];
    for (const entry of entries) {
      const host = declaredHost(entry);
      if (!host.includes('*')) {
        this.#exact.add(host);
        continue;
      }
      const labels = host.split(':')[0]!.split('.');
      // `*.com` or `*` would declare the whole internet; keep the registrable domain literal.
      if (labels.length < 3 || labels.slice(-2).some((l) => l.includes('*')) || !/^[a-z0-9*.-]+(?::\d+)?$/.test(host)) {
        problems.push(`registries: pattern "${entry}" must keep its last two labels literal, like *.dkr.ecr.*.amazonaws.com`);
        continue;
      }
      // `*` stands for one label or part of one: linear-time, and never crosses a dot.
      const source = host.split('*').map((part) => part.replace(/[.]/g, '\\.')).join('[a-z0-9-]+');
      this.#patterns.push({ text: host, regex: new RegExp(`^${source}$`) });
    }
    if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  }

  /** Declared by host or pattern. A pattern never declares an IP address. */
  declares(registry: string): boolean {
    const host = normalizeHost(registry);
    if (this.#exact.has(host)) return true;
    if (classifyAddress(hostnameOf(host)) !== undefined) return false;
    return this.#patterns.some((p) => p.regex.test(host));
  }

  /** Declared by its own host[:port] or IP, not through a pattern: what loopback and private need. */
  declaresExplicitly(authority: string): boolean {
    return this.#exact.has(normalizeHost(authority));
  }

  list(): string[] {
    return [...this.#exact, ...this.#patterns.map((p) => p.text)].sort();
  }
}

/**
 * Why a registry named in a request, rule, subscription or task may not be contacted, or
 * undefined when it may. Names resolve later; connect time checks the addresses they resolve to.
 */
export function registryProblem(declared: DeclaredRegistries, registry: string): string | undefined {
  const host = hostnameOf(normalizeHost(registry));
  if (isMetadataName(host)) return `registry ${registry} is an instance-metadata service; crossdock never contacts it`;
  const kind = classifyAddress(host);
  if (kind === 'metadata' || kind === 'link-local' || kind === 'unusable') return `registry ${registry} is a ${kind} address; crossdock never contacts it, declared or not`;
  if (declared.declares(registry)) return undefined;
  return `registry ${registry} is not declared: ${HOW_TO_DECLARE.replace('HOST', registry)}`;
}

/** Throws RegistryNotAllowedError unless the registry may be contacted. */
export function assertRegistryAllowed(declared: DeclaredRegistries, registry: string): void {
  const problem = registryProblem(declared, registry);
  if (problem) throw new RegistryNotAllowedError(problem);
}

/**
 * Why a connection to `authority` (URL host: name or IP, with a port unless the scheme's
 * default) at the resolved `address` is refused, or undefined when it may go ahead.
 */
export function connectionProblem(declared: DeclaredRegistries, authority: string, address: string): string | undefined {
  const name = hostnameOf(normalizeHost(authority));
  if (isMetadataName(name)) return `${authority} is an instance-metadata service`;
  const kind = classifyAddress(address) ?? 'unusable';
  switch (kind) {
    case 'metadata':
    case 'link-local':
    case 'unusable':
      return `${authority} resolves to ${address}, a ${kind} address`;
    case 'loopback':
    case 'private':
      return declared.declaresExplicitly(authority) ? undefined : `${authority} resolves to ${address}, a ${kind} address, and is not declared explicitly (by host or IP, not a pattern)`;
    case 'public':
      return undefined;
  }
}

/** `host`, `host:port` or `[v6]:port`, lowercased, Docker Hub aliases folded. */
function normalizeHost(registry: string): string {
  return normalizeRegistry(registry.trim().toLowerCase().replace(/\.(?=:|$)/, ''));
}

/** The host part of a declaration key: scheme, namespace and API suffix dropped. */
function declaredHost(key: string): string {
  const trimmed = key.trim().replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return normalizeHost(trimmed);
}

/** The host of `host[:port]`, brackets of an IPv6 literal removed. */
function hostnameOf(authority: string): string {
  if (authority.startsWith('[')) return authority.slice(1, authority.indexOf(']'));
  const colons = authority.split(':').length - 1;
  return colons === 1 ? authority.slice(0, authority.indexOf(':')) : authority;
}

/**
 * Why a URL the registry handed us (a redirect, a token realm) may not be followed by scheme:
 * HTTPS always; plain HTTP only when we already speak plain HTTP to the registry (declared
 * insecure, or loopback as Docker allows). Addresses are checked again at connect time.
 */
export function schemeProblem(url: URL, registry: { origin: string; insecure: boolean }): string | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (registry.insecure || registry.origin.startsWith('http:'))) return undefined;
  return `${url.protocol}//${url.host} is not HTTPS and the registry is not declared insecure`;
}

/**
 * The service's declaration: the keys of its registries configuration (options may be empty)
 * plus the registries of configured webhook sources. A pattern only declares: credentials and
 * TLS settings belong to an exact host, so options on a pattern are refused, not ignored.
 */
export function declareRegistries(registries: Record<string, object>, sourceRegistries: Iterable<string> = []): DeclaredRegistries {
  const problems = Object.entries(registries)
    .filter(([key, options]) => key.includes('*') && Object.keys(options).length > 0)
    .map(([key]) => `registries: pattern "${key}" only declares hosts; give credentials and TLS settings under exact hosts`);
  if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  return new DeclaredRegistries([...Object.keys(registries), ...sourceRegistries]);
}

/** One problem per registry that may not be contacted, each prefixed by the field naming it. */
export function undeclaredProblems(declared: DeclaredRegistries | undefined, named: ReadonlyArray<readonly [field: string, registry: string]>): string[] {
  if (!declared) return [];
  return named.flatMap(([field, registry]) => {
    const problem = registryProblem(declared, registry);
    return problem ? [`${field}: ${problem}`] : [];
  });
}
