/** Where subscriptions live; `DynamoDbSubscriptionStore` is the adapter. */
import { CrossdockError } from '../errors.ts';
import type { Subscription } from './subscription.ts';

export class SubscriptionNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('SUBSCRIPTION_NOT_FOUND', `subscription ${id} does not exist`);
  }
}

export interface SubscriptionStore {
  put(subscription: Subscription): Promise<void>;
  get(id: string): Promise<Subscription | undefined>;
  delete(id: string): Promise<boolean>;
  list(): Promise<Subscription[]>;
}
