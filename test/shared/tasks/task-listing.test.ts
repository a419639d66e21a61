import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { newTask, type Task } from '../../../shared/tasks/task.ts';
import type { TaskFilter } from '../../../shared/tasks/task-store.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

const STATUSES = ['SUCCEEDED', 'FAILED', 'PENDING', 'SKIPPED'] as const;

/** 41 tasks over two rules, source and destination repositories, four statuses, some created in the same millisecond. */
function fixtures(): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < 41; i++) {
    const createdAt = new Date(Date.UTC(2026, 10, 22, 10, 0, Math.floor(i / 3)));
    const multi = i % 4 === 0;
    tasks.push(newTask({
      kind: 'push',
      ruleId: i % 2 === 0 ? 'rule-even' : 'rule-odd',
      source: { registry: i % 3 === 0 ? 'src.example' : 'other.example:5000', repository: multi ? 'team/multi' : `team/app${i}`, tag: 'v1' },
      destination: { registry: 'dst.example', repository: i % 5 === 0 ? 'team/multi' : `mirror/app${i}`, tag: 'v1' },
      options: { overwrite: true, platforms: [], referrers: true },
      identity: `event:${i}`,
    }, createdAt));
  }
  return tasks;
}

const newestFirst = (tasks: Task[]) => [...tasks].sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));

for (const engine of ['dynalite', 'dynamodb-local'] as const) {
  describe(`listing task records on ${engine}`, () => {
    let aws: LocalAws;
    let store: DynamoDbTaskStore;
    const tasks = fixtures();
    const statusOf = new Map(tasks.map((t, i) => [t.id, STATUSES[i % STATUSES.length]!]));

    before(async () => {
      aws = await startLocalAws({ dynamodb: engine });
      store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 7 });
      for (const task of tasks) {
        await store.create(task);
        const status = statusOf.get(task.id)!;
        if (status === 'PENDING') continue;
        await store.claim(task.id, new Date(task.createdAt), 60_000);
        await store.finish(task.id, { status, ...(status === 'FAILED' ? { error: { code: 'X', message: 'x' } } : {}) }, new Date(task.createdAt));
      }
    });
    after(() => aws?.close());

    async function allPages(filter: TaskFilter, limit: number): Promise<{ sizes: number[]; ids: string[] }> {
      const sizes: number[] = [];
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(filter, limit, cursor);
        sizes.push(page.items.length);
        ids.push(...page.items.map((t) => t.id));
        cursor = page.cursor;
        assert.ok(sizes.length < 50, 'pagination ends');
      } while (cursor);
      return { sizes, ids };
    }

    const expectPages = (total: number, limit: number) => {
      const sizes = Array.from({ length: Math.ceil(total / limit) }, () => limit);
      if (total % limit !== 0) sizes[sizes.length - 1] = total % limit;
      return total === 0 ? [0] : sizes;
    };

    test('without filters: every record, newest first, pages full to the limit', async () => {
      const want = newestFirst(tasks).map((t) => t.id);
      const first = await store.list({}, 50);
      assert.deepEqual(first.items.map((t) => t.id), want);
      assert.equal(first.cursor, undefined);
      const paged = await allPages({}, 4);
      assert.deepEqual(paged.sizes, expectPages(41, 4));
      assert.deepEqual(paged.ids, want);
    });

    const cases: Array<[string, TaskFilter, (t: Task) => boolean]> = [
      ['status', { status: 'FAILED' }, (t) => statusOf.get(t.id) === 'FAILED'],
      ['rule', { ruleId: 'rule-odd' }, (t) => t.ruleId === 'rule-odd'],
      ['rule and status', { ruleId: 'rule-even', status: 'SUCCEEDED' }, (t) => t.ruleId === 'rule-even' && statusOf.get(t.id) === 'SUCCEEDED'],
      ['source with its registry', { source: { registry: 'src.example', repository: 'team/multi' } }, (t) => t.source.registry === 'src.example' && t.source.repository === 'team/multi'],
      ['source on any registry', { source: { repository: 'team/multi' } }, (t) => t.source.repository === 'team/multi'],
      ['destination', { destination: { repository: 'team/multi' } }, (t) => t.destination.repository === 'team/multi'],
      ['either side', { repository: { repository: 'team/multi' } }, (t) => t.source.repository === 'team/multi' || t.destination.repository === 'team/multi'],
      ['a repository whose name is the end of others', { source: { repository: 'multi' } }, () => false],
      ['time range', { since: '2026-11-22T10:00:03.000Z', until: '2026-11-22T10:00:07.000Z' }, (t) => t.createdAt >= '2026-11-22T10:00:03.000Z' && t.createdAt <= '2026-11-22T10:00:07.000Z'],
    ];
    for (const [name, filter, predicate] of cases) {
      test(`by ${name}: exactly the matching records, newest first, full pages`, async () => {
        const want = newestFirst(tasks.filter(predicate)).map((t) => t.id);
        assert.ok(want.length > 0 || name.includes('end of others'), 'the fixture has matches');
        for (const limit of [3, 50]) {
          const paged = await allPages(filter, limit);
          assert.deepEqual(paged.ids, want, `limit ${limit}`);
          assert.deepEqual(paged.sizes, expectPages(want.length, limit), `limit ${limit}`);
        }
      });
    }

    test('records carry their status from the table, not the index', async () => {
      const page = await store.list({ status: 'PENDING' }, 200);
      assert.ok(page.items.length > 0);
      assert.ok(page.items.every((t) => t.status === 'PENDING'));
    });
  });
}
