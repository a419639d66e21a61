/** Where tasks and their records live; `DynamoDbTaskStore` is the adapter. */
import { CrossdockError } from '../errors.ts';
import type { LinkRef } from '../links/link.ts';
import type { Task, TaskError, TaskProgress, TaskResult, TaskResume, TaskStatus } from './task.ts';

export class TaskNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('TASK_NOT_FOUND', `task ${id} does not exist`);
  }
}

/** The task is in a state that does not allow the change (a retry of a task still running). */
export class TaskConflictError extends CrossdockError {
  constructor(id: string, status: TaskStatus, what: string) {
    super('TASK_CONFLICT', `task ${id} is ${status}: ${what}`);
  }
}

/**
 * A repository filter: `registry/repository`, or a repository alone (any registry). Which side
 * it looks at is the filter's key (`source`, `destination`, or `repository` for either).
 */
export interface RepositoryMatch {
  registry?: string;
  repository: string;
}

export interface TaskFilter {
  ruleId?: string;
  executionId?: string;
  status?: TaskStatus;
  /** Tasks that ran on this link (`default`: on no link). */
  linkId?: string;
  source?: RepositoryMatch;
  destination?: RepositoryMatch;
  /** Source or destination. */
  repository?: RepositoryMatch;
  /** ISO times bounding `createdAt`, both inclusive. */
  since?: string;
  until?: string;
}

export interface TaskPage {
  /** Newest first (by `createdAt`, then id). */
  items: Task[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

export type Claim = { claimed: true; task: Task } | { claimed: false; task: Task | undefined; why: 'finished' | 'missing' | 'running' };

export type Outcome = {
  status: Extract<TaskStatus, 'SUCCEEDED' | 'SKIPPED' | 'FAILED'>;
  result?: TaskResult;
  error?: TaskError;
  /** When the attempt that ends here started (the claim's `startedAt`), for `durationMs`. */
  startedAt?: string;
  /** FAILED on the last receive: the message goes on to the dead-letter queue. */
  deadLettered?: boolean;
  link?: LinkRef;
  queuedMs?: number;
  transferMs?: number;
};

export interface TaskStore {
  /** Conditional create: `exists` when a task with that id was created before. */
  create(task: Task): Promise<'created' | 'exists'>;
  markEnqueued(ids: string[], at: Date): Promise<void>;
  get(id: string): Promise<Task | undefined>;
  /**
   * PENDING → RUNNING with one more attempt. A RUNNING task whose lease ran out (its worker
   * died) may be claimed again; a finished one is not, except a dead-lettered FAILED task for a
   * message of its generation (a redrive), which starts its next generation.
   */
  claim(id: string, now: Date, leaseMs: number, generation?: number): Promise<Claim>;
  finish(id: string, outcome: Outcome, now: Date): Promise<void>;
  /**
   * PENDING (or QUEUED) → QUEUED at `position` on its link; `queuedAt` is kept from the first time.
   * False when the task is in another state (claimed meanwhile, finished).
   */
  markQueued(id: string, position: number, queuedAt: Date, now: Date): Promise<boolean>;
  /** Back to PENDING after a retryable failure, keeping the error for the record. */
  release(id: string, error: TaskError, now: Date, nextAttemptAt?: Date): Promise<void>;
  /**
   * A RUNNING task that stopped at its deadline back to PENDING with where to go on (no failure
   * recorded, the progress kept). False when it is no longer RUNNING.
   */
  pause(id: string, resume: TaskResume, progress: TaskProgress | undefined, now: Date): Promise<boolean>;
  /** Live progress of a RUNNING task; false (nothing written) when it is no longer RUNNING. */
  updateProgress(id: string, progress: TaskProgress): Promise<boolean>;
  /** A finished task back to PENDING in its next generation; TaskConflictError when unfinished. */
  rerun(id: string, now: Date): Promise<Task>;
  list(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage>;
  /**
   * PENDING tasks no worker has claimed, created before `before`, oldest first, every one of
   * them page by page (the sweep's candidates: never sent, or sent so long ago that the message
   * may have expired).
   */
  listWaiting(before: Date, limit: number, cursor?: string): Promise<TaskPage>;
  /**
   * Records that `pushedAt` is the newest push written to a destination tag. False when a newer
   * push of that tag was written already (the caller must not overwrite it).
   */
  advanceTagHead(destination: string, pushedAt: string, taskId: string): Promise<boolean>;
}
