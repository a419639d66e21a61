/**
 * Registry clients shared by every copy in a process: one per registry and set of options, so
 * connections, tokens and per-host backoff are reused across images.
 */
import type { Logger } from '../log.ts';
import { RegistryClient } from './client.ts';
import type { EgressPolicy } from './egress-connector.ts';
import { assertRegistryAllowed } from './egress-policy.ts';
import { RegistryDirectory } from './registry-options.ts';
import { HostBackoff, type RetryPolicy, type Sleep } from './retry.ts';

export interface RegistryPoolOptions {
  directory?: RegistryDirectory;
  retryPolicy?: RetryPolicy;
  sleep?: Sleep;
  logger?: Logger;
  userAgent?: string;
  now?: () => number;
  /** The service's allowed-hosts policy: undeclared registries get no client at all. */
  egress?: EgressPolicy;
  /** Told of every manifest GET any client of the pool sends (the pull budget metric). */
  onManifestGet?: (registry: string) => void;
}

export class RegistryPool {
  readonly directory: RegistryDirectory;
  readonly #clients = new Map<string, RegistryClient>();
  readonly #options: RegistryPoolOptions;
  readonly #hostBackoff: HostBackoff;

  /** The service's allowed-hosts policy, when there is one (never for the CLI). */
  get egress(): EgressPolicy | undefined {
    return this.#options.egress;
  }

  constructor(options: RegistryPoolOptions = {}) {
    this.directory = options.directory ?? new RegistryDirectory();
    this.#options = options;
    this.#hostBackoff = new HostBackoff(options.now);
  }

  /** The client for a repository (credentials may be configured per namespace). */
  client(registry: string, repository?: string): RegistryClient {
    if (this.#options.egress) assertRegistryAllowed(this.#options.egress.declared, registry);
    const options = this.directory.resolve(registry, repository);
    const key = `${registry}\u0000${JSON.stringify(options)}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = new RegistryClient(registry, options, { ...this.#options, hostBackoff: this.#hostBackoff });
      this.#clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.close()));
  }
}
