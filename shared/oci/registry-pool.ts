/**
 * Registry clients shared by every copy in a process: one per registry and set of options, so
 * connections, tokens and per-host backoff are reused across images.
 */
import type { Logger } from '../log.ts';
import { RegistryClient } from './client.ts';
import type { CredentialProvider, CredentialProviders } from './credential-provider.ts';
import type { EgressPolicy } from './egress-connector.ts';
import { assertRegistryAllowed, EgressRefusedError } from './egress-policy.ts';
import { RegistryDirectory } from './registry-directory.ts';
import { HostBackoff, type RetryPolicy, type Sleep } from './retry.ts';
import { routeProblems, type Route } from './route.ts';

export interface RegistryPoolOptions {
  directory?: RegistryDirectory;
  retryPolicy?: RetryPolicy;
  sleep?: Sleep;
  logger?: Logger;
  userAgent?: string;
  now?: () => number;
  /** The service's allowed-hosts policy: undeclared registries get no client at all. */
  egress?: EgressPolicy;
  /** Every client of this pool reaches its registry this way (a sync link's route). */
  route?: Route;
  /** Short-lived credentials for the registries that need them (cloud registries). */
  credentials?: CredentialProviders;
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
    if (this.#options.egress) {
      assertRegistryAllowed(this.#options.egress.declared, registry);
      const refused = this.#options.route ? routeProblems(this.#options.egress.declared, this.#options.route) : [];
      if (refused.length > 0) throw new EgressRefusedError(`route to ${registry} refused: ${refused.join('; ')}`);
    }
    const options = this.directory.resolve(registry, repository);
    const key = `${registry}\u0000${JSON.stringify(options)}`;
    let client = this.#clients.get(key);
    if (!client) {
      const provider = this.#options.credentials?.(registry, options);
      client = new RegistryClient(registry, options, { ...this.#options, hostBackoff: this.#hostBackoff, ...(provider ? { provider } : {}) });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** The credential provider answering for a repository, if any (a grant check asks it). */
  provider(registry: string, repository?: string): CredentialProvider | undefined {
    return this.#options.credentials?.(registry, this.directory.resolve(registry, repository));
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all([...clients.map((c) => c.close()), this.#options.credentials?.close?.()]);
  }
}
