/** Runs a rule through the API as an execution and waits for it: its summary and its tasks. */
import assert from 'node:assert/strict';
import type { Harness } from './harness.ts';

export async function runRuleToEnd(h: Harness, ruleId: string): Promise<{ execution: any; tasks: any[] }> {
  const res = await h.api('POST', `/rules/${ruleId}/run`);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  // Listing steps and copies share the queue: drain until both are done (a loaded machine is slow).
  await h.drain({ maxMs: 180_000 });
  const execution = (await h.api('GET', `/executions/${res.body.execution.id}`)).body;
  const tasks: any[] = [];
  let cursor: string | undefined;
  do {
    const page = (await h.api('GET', `/tasks?execution=${execution.id}&limit=200${cursor ? `&cursor=${cursor}` : ''}`)).body;
    tasks.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return { execution, tasks };
}
