/**
 * An execution is one trigger that created work: a rule run, a subscription run, a manual sync,
 * a webhook delivery. Its tasks carry its id. A rule run lists repositories and tags through the
 * queue in bounded steps (shared/intake/rule-expansion.ts); the record counts those steps, so an
 * execution is known to be fully expanded before it can be called finished.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export const ExecutionKind = z.enum(['rule', 'subscription', 'manual', 'delivery']);
export type ExecutionKind = z.infer<typeof ExecutionKind>;

const PREFIX: Record<ExecutionKind, string> = { rule: 'r', subscription: 's', manual: 'm', delivery: 'd' };
const ID = /^([rsmd])-(\d{8}T\d{9}Z)-([0-9a-f]{12})$/;

export const ExecutionId = z.string().regex(ID);

export const Expansion = z.strictObject({
  /** Repositories whose tags are to be listed, as far as the catalog has been read. */
  repositories: z.number().int().nonnegative(),
  /** Repositories whose tags were listed and planned (or that failed for good, see errors). */
  repositoriesDone: z.number().int().nonnegative(),
  /** Every catalog page has been read: `repositories` is final. */
  catalogDone: z.boolean(),
  /** Catalog pages read so far (the next page's number). */
  catalogPages: z.number().int().nonnegative(),
  /** Tags in scope seen by the listing, and those whose every destination was up to date. */
  considered: z.number().int().nonnegative(),
  upToDate: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  lastError: z.string().optional(),
});
export type Expansion = z.infer<typeof Expansion>;

export const Execution = z.strictObject({
  id: ExecutionId,
  kind: ExecutionKind,
  ruleId: z.string().optional(),
  subscriptionId: z.string().optional(),
  createdAt: z.string(),
  expansion: Expansion,
  /** When the last listing step finished: no task of this execution is created after it. */
  expandedAt: z.string().optional(),
});
export type Execution = z.infer<typeof Execution>;

/** `r-20261201T175500123Z-0123456789ab`: the kind and creation time can be read from the id. */
export function newExecutionId(kind: ExecutionKind, at: Date): string {
  const time = at.toISOString().replace(/[-:.]/g, '');
  return `${PREFIX[kind]}-${time}-${randomBytes(6).toString('hex')}`;
}

export function executionIdParts(id: string): { kind: ExecutionKind; createdAt: string } | undefined {
  const match = ID.exec(id);
  if (!match) return undefined;
  const kind = (Object.entries(PREFIX).find(([, p]) => p === match[1])?.[0]) as ExecutionKind;
  const t = match[2]!;
  const createdAt = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`;
  return { kind, createdAt };
}

/** An execution whose work was created in one go (a delivery, a manual sync): nothing left to list. */
export function instantExecution(id: string, kind: ExecutionKind, at: Date, fields: Pick<Execution, 'ruleId' | 'subscriptionId'> = {}): Execution {
  const createdAt = at.toISOString();
  return { id, kind, ...fields, createdAt, expansion: { repositories: 0, repositoriesDone: 0, catalogDone: true, catalogPages: 0, considered: 0, upToDate: 0, errors: 0 }, expandedAt: createdAt };
}
