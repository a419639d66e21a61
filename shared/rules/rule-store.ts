/** Where rules live; `DynamoDbRuleStore` is the adapter. */
import { CrossdockError } from '../errors.ts';
import type { Rule } from './rule.ts';

export class RuleNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('RULE_NOT_FOUND', `rule ${id} does not exist`);
  }
}

export interface RuleStore {
  put(rule: Rule): Promise<void>;
  get(id: string): Promise<Rule | undefined>;
  delete(id: string): Promise<boolean>;
  list(): Promise<Rule[]>;
  /** Rules whose source is this registry: what a push to it may match. */
  listBySourceRegistry(registry: string): Promise<Rule[]>;
}
