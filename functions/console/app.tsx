/**
 * The console: server-rendered pages over the same stores and domain functions as the JSON
 * API, mounted under `/ui` by the API app. Sign-in is open; every other page needs a session,
 * and every change its CSRF token and our own origin.
 */
import { Hono } from 'hono';
import { InvalidInputError } from '../../shared/errors.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import type { QueueDepth } from '../../shared/queue/queue-depth.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';
import type { SubscriptionStore } from '../../shared/subscriptions/subscription-store.ts';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import type { EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import type { LinkOccupancyReader } from '../../shared/links/link-occupancy.ts';
import type { LinkStore } from '../../shared/links/link-store.ts';
import { authRoutes, signOutRoute } from './auth-routes.tsx';
import { requireCsrf, requireSession, securityHeaders, type ConsoleEnv } from './guard.ts';
import { Problems, type Nav } from './layout.tsx';
import { executionRoutes } from './executions-routes.tsx';
import { linkRoutes } from './links-routes.tsx';
import { healthRoutes, subscriptionRoutes } from './others-routes.tsx';
import { render } from './render.tsx';
import { ruleRoutes } from './rules-routes.tsx';
import { createSessionKeys, DEFAULT_SESSION_TTL_MS } from './session.ts';
import { taskRoutes } from './tasks-routes.tsx';

export interface ConsoleDeps extends EnqueueDeps {
  ruleStore: RuleStore;
  /** Rule runs are executions (shared/executions), as through the API. */
  executionStore: ExecutionStore;
  subscriptionStore: SubscriptionStore;
  pool: RegistryPool;
  apiKeys: readonly string[];
  /** SQS GetQueueAttributes for the health summary; without it the page says so. */
  queueDepth?: QueueDepth;
  /** Sync links (issue 13) and their live slots; absent: no links page. */
  links?: LinkStore;
  linkSlots?: LinkOccupancyReader;
  /** Which optional pages to offer; by default, those whose stores are here. */
  nav?: Nav;
  sessionTtlMs?: number;
}

export function createConsoleApp(deps: ConsoleDeps) {
  const keys = createSessionKeys(deps.apiKeys);
  const ttlMs = deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const nowMs = () => (deps.now ?? (() => new Date()))().getTime();
  const full = { ...deps, nav: deps.nav ?? { executions: true, links: deps.links !== undefined } };
  const app = new Hono<ConsoleEnv>();
  app.onError((error, c) => {
    if (error instanceof InvalidInputError) return render(c, { title: 'Not valid', nav: full.nav, status: 400, body: <Problems title={error.message} problems={error.problems} /> });
    deps.logger.error('console request failed', { path: c.req.path, method: c.req.method, error: error instanceof Error ? error.message : String(error) });
    return render(c, { title: 'Something failed', nav: full.nav, status: 500, body: <p>The request failed; the service log has the details. <a href="/ui/tasks">Back to the records</a></p> });
  });
  app.use('*', securityHeaders());
  app.route('/', authRoutes({ keys, ttlMs, now: nowMs, logger: deps.logger }));
  app.use('*', requireSession(keys, nowMs));
  app.use('*', requireCsrf(keys));
  app.route('/', signOutRoute());
  app.route('/', taskRoutes(full));
  app.route('/', ruleRoutes(full));
  if (full.nav.executions) app.route('/', executionRoutes(full));
  app.route('/', subscriptionRoutes(full));
  if (full.nav.links && deps.links) app.route('/', linkRoutes({ ...full, links: deps.links }));
  app.route('/', healthRoutes(full));
  app.all('*', (c) => render(c, { title: 'Not found', nav: full.nav, status: 404, body: <p>No console page here. <a href="/ui/tasks">Records</a></p> }));
  return app;
}
