/** The management API: rules, manual sync, replication records; every route needs an API key. */
import { Hono } from 'hono';
import type { LinkStore } from '../../shared/links/link-store.ts';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';
import type { SubscriptionStore } from '../../shared/subscriptions/subscription-store.ts';
import type { EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import { createConsoleApp, type ConsoleDeps } from '../console/app.tsx';
import { apiKeyAuth } from '../http/api-key.ts';
import { errorResponse, handleError } from '../http/errors.ts';
import { linksRoutes } from './links-routes.ts';
import { executionsRoutes } from './executions-routes.ts';
import { rulesRoutes } from './rules-routes.ts';
import { subscriptionsRoutes } from './subscriptions-routes.ts';
import { syncRoutes } from './sync-routes.ts';
import { tasksRoutes } from './tasks-routes.ts';

export interface ApiAppDeps extends EnqueueDeps {
  ruleStore: RuleStore;
  subscriptionStore: SubscriptionStore;
  executionStore: ExecutionStore;
  pool: RegistryPool;
  apiKeys: readonly string[];
  /** Sync links (issue 13); absent: no `/links` routes. */
  links?: LinkStore;
  /** Declared notification target names, when known (rules naming others are refused). */
  notificationTargets?: ReadonlySet<string>;
  /** The console's extras: queue depth for its health page, navigation for optional stores. */
  queueDepth?: ConsoleDeps['queueDepth'];
  nav?: ConsoleDeps['nav'];
  /** Read by the console's links page: running and queued tasks per link. */
  linkSlots?: ConsoleDeps['linkSlots'];
}

export function createApiApp(deps: ApiAppDeps) {
  const app = new Hono();
  app.onError((error, c) => handleError(error, c, deps.logger));
  app.notFound((c) => errorResponse(c, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  // The console signs in with the same API keys and keeps a session cookie (functions/console/).
  app.get('/', (c) => c.redirect('/ui/tasks', 302));
  app.route('/ui', createConsoleApp(deps));
  app.use('*', apiKeyAuth(deps.apiKeys));
  app.route('/rules', rulesRoutes(deps));
  app.route('/sync', syncRoutes(deps));
  app.route('/subscriptions', subscriptionsRoutes(deps));
  app.route('/tasks', tasksRoutes(deps));
  if (deps.links) app.route('/links', linksRoutes({ ...deps, links: deps.links }));
  app.route('/executions', executionsRoutes(deps));
  return app;
}
