/**
 * Lambda entry: push webhooks behind the HTTP API. Builds the rule and task stores and the queue
 * only (functions/wiring/intake-stores.ts): no registry client, so the bundle carries no undici. The webhook sources are re-read when their
 * cache expires; the app is rebuilt only when they changed.
 */
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { rebuildOnChange } from '../config/cached.ts';
import { WEBHOOK_SOURCES_SECRET } from '../../shared/webhooks/webhook-source.ts';
import { loadLambdaConfigOf } from '../config/lambda-config-of.ts';
import { createIntakeStores } from '../wiring/intake-stores.ts';
import { createWebhookApp } from './app.ts';

// Its one secret by itself: the other secrets' schemas (registry options, notification targets)
// are not built at its cold start.
const config = loadLambdaConfigOf(process.env, { webhookSources: WEBHOOK_SOURCES_SECRET });
const stores = createIntakeStores(config.settings, config.logger);
const ruleLookup = createRuleLookup(stores.ruleStore);
const current = rebuildOnChange(config.secrets, (secrets) => handle(createWebhookApp({ ...stores, ruleLookup, sources: secrets.webhookSources })));

export async function handler(event: LambdaEvent, context?: LambdaContext) {
  return (await current())(event, context);
}
