/** The registry half of the wiring: the pool of registry clients (undici) and the copy engine. */
import { createCloudCredentials } from '../../shared/cloud/cloud-credentials.ts';
import type { ServiceSecrets } from '../../shared/config.ts';
import type { Link } from '../../shared/links/link.ts';
import type { Logger } from '../../shared/log.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { declareRegistries } from '../../shared/oci/egress-policy.ts';
import { RegistryDirectory } from '../../shared/oci/registry-directory.ts';
import { RegistryPool, type RegistryPoolOptions } from '../../shared/oci/registry-pool.ts';
import type { Route } from '../../shared/oci/route.ts';

export interface RegistryParts {
  pool: RegistryPool;
  engine: CopyEngine;
  /** The engine for a custom link's route (its own pool: proxy or private addresses), one per route. */
  engineFor(link: Link): CopyEngine;
}

/**
 * Only declared registries are contacted (issue 8): the keys of `registries` and the registries
 * of the configured webhook sources.
 */
export interface RegistryPartsOptions extends Pick<RegistryPoolOptions, 'onManifestGet'> {
  /**
   * Cloud registries may take credentials from the AWS SDK's default chain (the function's role);
   * on one machine each must name its own (issue 14).
   */
  onLambda?: boolean;
}

export function createRegistryParts(secrets: Pick<ServiceSecrets, 'registries' | 'webhookSources'>, logger: Logger, options: RegistryPartsOptions = {}): RegistryParts {
  const { onLambda = false, ...hooks } = options;
  const sourceRegistries = Object.values(secrets.webhookSources).flatMap((s) => (s.registry ? [s.registry] : []));
  const declared = declareRegistries(secrets.registries, sourceRegistries);
  logger.info('registries declared', { registries: declared.list() });
  const directory = new RegistryDirectory(secrets.registries);
  const credentials = createCloudCredentials(secrets.registries, { logger, defaultChain: onLambda, declared });
  const pool = new RegistryPool({ directory, logger, egress: { declared }, credentials, ...hooks });
  const routed = new Map<string, CopyEngine>();
  const engine = new EngineWithRoutes({ pool, logger }, routed);
  const engineFor = (link: Link): CopyEngine => {
    const route = routeOf(link);
    const key = JSON.stringify(route);
    let found = routed.get(key);
    if (!found) {
      found = new CopyEngine({ pool: new RegistryPool({ directory, logger, egress: { declared }, route, credentials, ...hooks }), logger });
      routed.set(key, found);
    }
    return found;
  };
  return { pool, engine, engineFor };
}

/** A link's route as the OCI transport takes it: the proxy, and addresses by registry name. */
export function routeOf(link: Pick<Link, 'route' | 'sourceRegistry' | 'destinationRegistry'>): Route {
  const route = link.route ?? {};
  const addresses: Record<string, string> = {};
  if (route.sourceAddress) addresses[link.sourceRegistry] = route.sourceAddress;
  if (route.destinationAddress) addresses[link.destinationRegistry] = route.destinationAddress;
  return { ...(route.proxy ? { proxy: route.proxy } : {}), ...(Object.keys(addresses).length > 0 ? { addresses } : {}) };
}

/** The service's engine: closing it closes the routed engines too, which live and go with it. */
class EngineWithRoutes extends CopyEngine {
  readonly #routed: Map<string, CopyEngine>;

  constructor(options: ConstructorParameters<typeof CopyEngine>[0], routed: Map<string, CopyEngine>) {
    super(options);
    this.#routed = routed;
  }

  override async close(): Promise<void> {
    await Promise.all([super.close(), ...[...this.#routed.values()].map((e) => e.close())]);
  }
}
