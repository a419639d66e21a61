/**
 * The records page's filter form, read from its query string: empty fields mean "any", times
 * from a datetime-local input (no zone) are UTC, as the page says. Every problem is named.
 */
import { z } from 'zod';
import { Repository } from '../http/repository-filter.ts';
import { TaskStatus } from '../../shared/tasks/task.ts';
import type { TaskFilter } from '../../shared/tasks/task-store.ts';
import { zodProblems } from '../http/errors.ts';

const blank = (value: unknown) => (value === '' ? undefined : value);
const Time = z.preprocess(blank, z.string().transform((value, ctx) => {
  const withZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value) ? `${value}Z` : value;
  const at = Date.parse(withZone);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(withZone) || Number.isNaN(at)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a time (YYYY-MM-DDTHH:MM, UTC)` });
    return z.NEVER;
  }
  return new Date(at).toISOString();
}).optional());

export const TasksQuery = z.object({
  rule: z.preprocess(blank, z.string().min(1).optional()),
  status: z.preprocess(blank, TaskStatus.optional()),
  repository: z.preprocess(blank, Repository.optional()),
  source: z.preprocess(blank, Repository.optional()),
  destination: z.preprocess(blank, Repository.optional()),
  since: Time,
  until: Time,
  cursor: z.preprocess(blank, z.string().min(1).optional()),
});
export type TasksQuery = z.infer<typeof TasksQuery>;

export const PAGE_SIZE = 25;

export function readTasksQuery(query: Record<string, string>): { filter: TaskFilter; cursor?: string; problems: string[] } {
  const parsed = TasksQuery.safeParse(query);
  if (!parsed.success) return { filter: {}, problems: zodProblems(parsed.error) };
  const q = parsed.data;
  const filter: TaskFilter = {
    ...(q.rule ? { ruleId: q.rule } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.repository ? { repository: q.repository } : {}),
    ...(q.source ? { source: q.source } : {}),
    ...(q.destination ? { destination: q.destination } : {}),
    ...(q.since ? { since: q.since } : {}),
    ...(q.until ? { until: q.until } : {}),
  };
  return { filter, ...(q.cursor ? { cursor: q.cursor } : {}), problems: [] };
}
