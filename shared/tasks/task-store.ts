/** Where tasks and their records live; `DynamoDbTaskStore` is the adapter. */
import { CrossdockError } from '../errors.ts';
import type { Task, TaskError, TaskResult, TaskStatus } from './task.ts';

export class TaskNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('TASK_NOT_FOUND', `task ${id} does not exist`);
  }
}

export interface TaskFilter {
  ruleId?: string;
  status?: TaskStatus;
  /** Source repository, `registry/repository`. */
  repository?: string;
  /** ISO times bounding `createdAt`. */
  since?: string;
  until?: string;
}

export interface TaskPage {
  items: Task[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

export type Claim = { claimed: true; task: Task } | { claimed: false; task: Task | undefined; why: 'finished' | 'missing' | 'running' };

export interface TaskStore {
  /** Conditional create: `exists` when a task with that id was created before. */
  create(task: Task): Promise<'created' | 'exists'>;
  markEnqueued(ids: string[], at: Date): Promise<void>;
  get(id: string): Promise<Task | undefined>;
  /**
   * PENDING → RUNNING with one more attempt. A RUNNING task whose lease ran out (its worker
   * died) may be claimed again; a finished one is not.
   */
  claim(id: string, now: Date, leaseMs: number): Promise<Claim>;
  finish(id: string, outcome: { status: Extract<TaskStatus, 'SUCCEEDED' | 'SKIPPED' | 'FAILED'>; result?: TaskResult; error?: TaskError }, now: Date): Promise<void>;
  /** Back to PENDING after a retryable failure, keeping the error for the record. */
  release(id: string, error: TaskError, now: Date): Promise<void>;
  list(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage>;
  /** PENDING tasks created before `before` whose message may never have been sent. */
  listStalePending(before: Date, limit: number): Promise<Task[]>;
  /**
   * Records that `pushedAt` is the newest push written to a destination tag. False when a newer
   * push of that tag was written already (the caller must not overwrite it).
   */
  advanceTagHead(destination: string, pushedAt: string, taskId: string): Promise<boolean>;
}
