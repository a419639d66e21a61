/** Where executions live; `DynamoDbExecutionStore` is the adapter. */
import { CrossdockError } from '../errors.ts';
import type { Execution } from './execution.ts';

export class ExecutionNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('EXECUTION_NOT_FOUND', `execution ${id} does not exist`);
  }
}

export interface ExecutionPage {
  /** Newest first. */
  items: Execution[];
  cursor?: string;
}

export interface ExecutionStore {
  /** Conditional create: a second create of the same id changes nothing. */
  create(execution: Execution): Promise<void>;
  get(id: string): Promise<Execution | undefined>;
  list(limit: number, cursor?: string): Promise<ExecutionPage>;
  /**
   * Catalog page `page` was read and named `repositories` repositories in scope (`last`: no page
   * follows). False when that page was recorded before (a duplicate step): nothing changes.
   */
  recordCatalogPage(id: string, page: number, repositories: number, last: boolean): Promise<boolean>;
  /**
   * One repository's listing step finished (with an error that ends it, if given). False when it
   * was recorded before: each repository counts once, however often its step is delivered.
   */
  recordRepositoryDone(id: string, repository: string, outcome: { considered: number; upToDate: number } | { error: string }): Promise<boolean>;
  /** Sets `expandedAt` once every listing step is done; the execution as it is now. */
  markExpandedIfDone(id: string, at: Date): Promise<Execution | undefined>;
}
