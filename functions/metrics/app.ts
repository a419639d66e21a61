/**
 * `GET /metrics` in Prometheus text format, for the local runtime (on Lambda the worker writes
 * embedded-metric-format lines instead: a scrape would reach one short-lived instance). Guarded
 * like the API, by API key: a scraper sends `Authorization: Bearer <key>` (Prometheus's
 * `authorization` scrape setting).
 */
import { Hono } from 'hono';
import { apiKeyAuth } from '../http/api-key.ts';
import { handleError } from '../http/errors.ts';
import type { Logger } from '../../shared/log.ts';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createMetricsApp(deps: { apiKeys: readonly string[]; render: () => string; logger: Logger }) {
  const app = new Hono();
  app.onError((error, c) => handleError(error, c, deps.logger));
  app.use('*', apiKeyAuth(deps.apiKeys));
  app.get('/metrics', (c) => c.body(deps.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }));
  return app;
}
