/** Lambda entry: push webhooks behind the HTTP API. */
import { handle } from 'hono/aws-lambda';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { createService } from '../service.ts';
import { createWebhookApp } from './app.ts';

const service = createService();

export const handler = handle(createWebhookApp({ ...service, rules: createRuleLookup(service.rulesStore) }));
