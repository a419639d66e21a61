/** `/subscriptions`: create, list, get, replace, delete, and run now. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { grantProblems } from '../../shared/cloud/grant-check.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { undeclaredProblems } from '../../shared/oci/egress-policy.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { startRun } from '../../shared/intake/due-subscriptions.ts';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import { nextRun, parseSchedule } from '../../shared/subscriptions/schedule.ts';
import { Subscription, SubscriptionInput, subscriptionProblems } from '../../shared/subscriptions/subscription.ts';
import { SubscriptionNotFoundError, type SubscriptionStore } from '../../shared/subscriptions/subscription-store.ts';
import type { EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import { readJson } from '../http/body.ts';

export interface SubscriptionRoutesDeps extends EnqueueDeps {
  subscriptionStore: SubscriptionStore;
  executionStore: ExecutionStore;
  pool: RegistryPool;
}

function subscriptionRegistries(subscription: SubscriptionInput) {
  return [['source.registry', subscription.source.registry], ['destination.registry', subscription.destination.registry]] as const;
}

export function subscriptionsRoutes(deps: SubscriptionRoutesDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const valid = async (c: import('hono').Context) => {
    const input = await readJson(c, SubscriptionInput);
    const problems = [...subscriptionProblems(input), ...undeclaredProblems(deps.pool.egress?.declared, subscriptionRegistries(input)), ...(await grantProblems(deps.pool, [['destination', input.destination.registry, input.destination.repository]], `subscription-${input.name}`))];
    if (problems.length > 0) throw new InvalidInputError('SUBSCRIPTION_INVALID', problems);
    return input;
  };
  const mustGet = async (id: string) => {
    const found = await deps.subscriptionStore.get(id);
    if (!found) throw new SubscriptionNotFoundError(id);
    return found;
  };
  return new Hono()
    .post('/', async (c) => {
      const input = await valid(c);
      const at = now();
      // The first run is due at once; the schedule takes over from there.
      const subscription = Subscription.parse({ ...input, id: randomUUID(), createdAt: at.toISOString(), updatedAt: at.toISOString(), nextRunAt: at.toISOString() });
      await deps.subscriptionStore.put(subscription);
      return c.json(subscription, 201);
    })
    .get('/', async (c) => c.json({ items: await deps.subscriptionStore.list() }))
    .get('/:id', async (c) => c.json(await mustGet(c.req.param('id'))))
    .put('/:id', async (c) => {
      const existing = await mustGet(c.req.param('id'));
      const input = await valid(c);
      const at = now();
      const subscription = Subscription.parse({
        ...input,
        id: existing.id,
        createdAt: existing.createdAt,
        updatedAt: at.toISOString(),
        nextRunAt: nextRun(parseSchedule(input.schedule), at).toISOString(),
        ...(existing.lastRun ? { lastRun: existing.lastRun } : {}),
      });
      await deps.subscriptionStore.put(subscription);
      return c.json(subscription);
    })
    .delete('/:id', async (c) => {
      if (!(await deps.subscriptionStore.delete(c.req.param('id')))) throw new SubscriptionNotFoundError(c.req.param('id'));
      return c.body(null, 204);
    })
    .post('/:id/run', async (c) => {
      const subscription = await mustGet(c.req.param('id'));
      const refused = undeclaredProblems(deps.pool.egress?.declared, subscriptionRegistries(subscription));
      if (refused.length > 0) throw new InvalidInputError('REGISTRY_NOT_ALLOWED', refused);
      // Listing happens through the queue in bounded steps: the answer does not wait for it, and
      // `lastRun` is written when it is complete. A stored schedule that never runs switches the
      // subscription off instead (as the schedule would), answered with that record.
      const started = await startRun(subscription, deps);
      if ('disabled' in started) return c.json({ lastRun: started.disabled }, 202);
      return c.json({ execution: { ...started.execution, status: 'RUNNING' } }, 202);
    });
}
