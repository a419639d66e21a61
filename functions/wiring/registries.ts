/** The registry half of the wiring: the pool of registry clients (undici) and the copy engine. */
import type { ServiceSecrets } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { RegistryDirectory } from '../../shared/oci/registry-options.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';

export interface RegistryParts {
  pool: RegistryPool;
  engine: CopyEngine;
}

export function createRegistryParts(registries: ServiceSecrets['registries'], logger: Logger): RegistryParts {
  const pool = new RegistryPool({ directory: new RegistryDirectory(registries), logger });
  return { pool, engine: new CopyEngine({ pool, logger }) };
}
