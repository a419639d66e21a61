/** The registry half of the wiring: the pool of registry clients (undici) and the copy engine. */
import type { ServiceSecrets } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { declareRegistries } from '../../shared/oci/egress-policy.ts';
import { RegistryDirectory } from '../../shared/oci/registry-options.ts';
import { RegistryPool, type RegistryPoolOptions } from '../../shared/oci/registry-pool.ts';

export interface RegistryParts {
  pool: RegistryPool;
  engine: CopyEngine;
}

/**
 * Only declared registries are contacted (issue 8): the keys of `registries` and the registries
 * of the configured webhook sources.
 */
export function createRegistryParts(secrets: Pick<ServiceSecrets, 'registries' | 'webhookSources'>, logger: Logger, hooks: Pick<RegistryPoolOptions, 'onManifestGet'> = {}): RegistryParts {
  const sourceRegistries = Object.values(secrets.webhookSources).flatMap((s) => (s.registry ? [s.registry] : []));
  const declared = declareRegistries(secrets.registries, sourceRegistries);
  logger.info('registries declared', { registries: declared.list() });
  const pool = new RegistryPool({ directory: new RegistryDirectory(secrets.registries), logger, egress: { declared }, ...hooks });
  return { pool, engine: new CopyEngine({ pool, logger }) };
}
