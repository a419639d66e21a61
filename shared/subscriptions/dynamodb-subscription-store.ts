/**
 * Subscriptions in DynamoDB, beside the rules (table `rules`, pk `SUB#<id>`, doc). They carry no
 * `sourceRegistry`, so the rules' index never sees them. Access patterns: by id (GetItem), all
 * (Scan on the `SUB#` prefix; subscriptions number in the hundreds at most).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbDocuments } from '../store/dynamodb-documents.ts';
import { Subscription } from './subscription.ts';
import type { SubscriptionStore } from './subscription-store.ts';

export class DynamoDbSubscriptionStore implements SubscriptionStore {
  readonly #documents: DynamoDbDocuments<typeof Subscription>;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#documents = new DynamoDbDocuments(client, tableName, 'SUB', Subscription, 'subscription');
  }

  put(subscription: Subscription): Promise<void> {
    return this.#documents.put(subscription.id, subscription);
  }

  get(id: string): Promise<Subscription | undefined> {
    return this.#documents.get(id);
  }

  delete(id: string): Promise<boolean> {
    return this.#documents.delete(id);
  }

  async list(): Promise<Subscription[]> {
    return (await this.#documents.all()).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}
