/**
 * Lambda entry: the management API behind the HTTP API. Rule and subscription runs read
 * registries, so it builds the registry pool; the API keys and registries are re-read when
 * their cache expires, and the app and pool are rebuilt only when they changed.
 */
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { loadLambdaConfig } from '../config/lambda-config.ts';
import { rebuildWithRegistries } from '../config/rebuild-with-registries.ts';
import { createStores } from '../wiring/stores.ts';
import { createApiApp } from './app.ts';

// The notification targets are read for their names only: a rule naming an undeclared one is refused.
const config = loadLambdaConfig(process.env, ['apiKeys', 'registries', 'webhookSources', 'notifications']);
const stores = createStores(config.settings, config.logger);
const current = rebuildWithRegistries(config.secrets, config.logger, (parts, secrets) =>
  handle(createApiApp({ ...stores, pool: parts.pool, apiKeys: secrets.apiKeys, notificationTargets: new Set(Object.keys(secrets.notifications.targets)) })));

export async function handler(event: LambdaEvent, context?: LambdaContext) {
  return (await current())(event, context);
}
