/**
 * Registry parts follow their secrets: a handler's app or worker, built on the registry pool, is
 * rebuilt only when the registries or webhook sources it was built from change.
 */
import type { ServiceSecrets } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import type { RegistryPoolOptions } from '../../shared/oci/registry-pool.ts';
import { createRegistryParts, type RegistryParts } from '../wiring/registries.ts';
import { rebuildOnChange } from './cached.ts';

type RegistrySecrets = Pick<ServiceSecrets, 'registries' | 'webhookSources'>;

/**
 * What a handler builds on the registry parts, rebuilt only when the secrets they come from
 * change. The replaced engine is closed: a Lambda execution environment runs one invocation at a
 * time, so nothing uses it any more.
 */
export function rebuildWithRegistries<S extends RegistrySecrets, R>(
  secrets: () => Promise<S>,
  logger: Logger,
  build: (parts: RegistryParts, secrets: S) => R,
  hooks: Pick<RegistryPoolOptions, 'onManifestGet'> = {},
): () => Promise<R> {
  let parts: RegistryParts | undefined;
  return rebuildOnChange(secrets, (current) => {
    void parts?.engine.close();
    parts = createRegistryParts(current, logger, { ...hooks, onLambda: true });
    return build(parts, current);
  });
}
