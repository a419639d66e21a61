/**
 * Everything, wired from one service configuration: what the local runtime runs in one process.
 * A Lambda function builds only its own part (functions/wiring/, functions/<name>/handler.ts).
 */
import type { ServiceConfig } from '../shared/config.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import type { RegistryPoolOptions } from '../shared/oci/registry-pool.ts';
import type { WebhookSource } from '../shared/webhooks/webhook-source.ts';
import { createRegistryParts, type RegistryParts } from './wiring/registries.ts';
import { createStores, type Stores } from './wiring/stores.ts';

export interface Service extends Stores, RegistryParts {
  config: ServiceConfig;
  sources: Record<string, WebhookSource>;
  apiKeys: readonly string[];
}

export function createService(config: ServiceConfig, logger: Logger = createLogger({ level: config.logLevel }), hooks: Pick<RegistryPoolOptions, 'onManifestGet'> = {}): Service {
  return {
    config,
    ...createStores(config, logger),
    ...createRegistryParts(config, logger, hooks),
    sources: config.webhookSources,
    apiKeys: config.apiKeys,
  };
}
