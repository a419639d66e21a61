/** Subscriptions (list, run now, as `/subscriptions/:id/run` does) and the health summary. */
import { Hono } from 'hono';
import { undeclaredProblems } from '../../shared/oci/egress-policy.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import type { QueueDepth } from '../../shared/queue/queue-depth.ts';
import { startRun } from '../../shared/intake/due-subscriptions.ts';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import type { SubscriptionStore } from '../../shared/subscriptions/subscription-store.ts';
import type { EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import type { ConsoleEnv } from './guard.ts';
import { HealthPage } from './health-page.tsx';
import { readHealth } from './health.ts';
import { Problems, type Nav } from './layout.tsx';
import { render } from './render.tsx';
import { SubscriptionsPage } from './subscriptions-page.tsx';

export function subscriptionRoutes(deps: EnqueueDeps & { subscriptionStore: SubscriptionStore; executionStore: ExecutionStore; pool: RegistryPool; nav: Nav }) {
  const page = { title: 'Subscriptions', current: '/ui/subscriptions', nav: deps.nav };
  return new Hono<ConsoleEnv>()
    .get('/subscriptions', async (c) => render(c, { ...page, body: <SubscriptionsPage subscriptions={await deps.subscriptionStore.list()} csrf={c.get('csrf')} {...(c.req.query('ran') ? { ran: c.req.query('ran')! } : {})} /> }))
    .post('/subscriptions/:id/run', async (c) => {
      const subscription = await deps.subscriptionStore.get(c.req.param('id'));
      if (!subscription) return render(c, { ...page, title: 'Subscription not found', status: 404, body: <p>No such subscription. <a href="/ui/subscriptions">All subscriptions</a></p> });
      const refused = undeclaredProblems(deps.pool.egress?.declared, [['source.registry', subscription.source.registry], ['destination.registry', subscription.destination.registry]]);
      if (refused.length > 0) return render(c, { ...page, status: 400, body: <Problems title="Not run: a registry is not declared" problems={refused} /> });
      // As POST /subscriptions/:id/run: the run is an execution listed through the queue; its page follows it.
      const started = await startRun(subscription, deps);
      if ('disabled' in started) return c.redirect(`/ui/subscriptions?ran=${encodeURIComponent(subscription.id)}`, 303);
      return c.redirect(`/ui/executions/${encodeURIComponent(started.execution.id)}`, 303);
    });
}

export function healthRoutes(deps: EnqueueDeps & { queueDepth?: QueueDepth; nav: Nav }) {
  return new Hono<ConsoleEnv>().get('/health', async (c) => {
    const now = (deps.now ?? (() => new Date()))();
    const health = await readHealth(deps, now);
    return render(c, { title: 'Health', current: '/ui/health', nav: deps.nav, body: <HealthPage health={health} now={now} /> });
  });
}
