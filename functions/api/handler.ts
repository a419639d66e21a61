/** Lambda entry: the management API behind the HTTP API. */
import { handle } from 'hono/aws-lambda';
import { createService } from '../service.ts';
import { createApiApp } from './app.ts';

const service = createService();

export const handler = handle(createApiApp({ ...service, apiKeys: service.env.CROSSDOCK_API_KEYS }));
