/**
 * Counts DynamoDB capacity the way DynamoDB bills it: every call is sent with
 * ReturnConsumedCapacity INDEXES (an SDK middleware, so the code measured is unchanged) and the
 * units each answer reports are summed, writes by call and by index.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);
const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);

interface Consumed {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

export interface CapacityUse {
  read: number;
  write: number;
  writeByCall: Record<string, number>;
  writeByIndex: Record<string, number>;
}

export function meterCapacity(client: DynamoDBClient) {
  let use: CapacityUse = { read: 0, write: 0, writeByCall: {}, writeByIndex: {} };
  const count = (command: string, consumed: Consumed | Consumed[] | undefined, label: string) => {
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
      const units = c.CapacityUnits ?? 0;
      if (READS.has(command)) use.read += units;
      if (!WRITES.has(command)) continue;
      use.write += units;
      use.writeByCall[label] = (use.writeByCall[label] ?? 0) + units;
      for (const [index, value] of Object.entries(c.GlobalSecondaryIndexes ?? {})) use.writeByIndex[index] = (use.writeByIndex[index] ?? 0) + (value.CapacityUnits ?? 0);
    }
  };
  client.middlewareStack.add((next, context) => async (args) => {
    const command = context.commandName ?? '';
    const input = args.input as Record<string, unknown>;
    if (WRITES.has(command) || READS.has(command)) input.ReturnConsumedCapacity = 'INDEXES';
    try {
      const result = await next(args);
      count(command, (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity, label(command, input));
      return result;
    } catch (error) {
      // A refused conditional write is billed too; its answer carries no capacity, so it counts one unit.
      if (WRITES.has(command) && (error as Error).name === 'ConditionalCheckFailedException') count(command, { CapacityUnits: 1 }, `${label(command, input)} (refused)`);
      throw error;
    }
  }, { step: 'initialize', name: 'capacityMeter' });
  return {
    reset() {
      use = { read: 0, write: 0, writeByCall: {}, writeByIndex: {} };
    },
    snapshot(): CapacityUse {
      return structuredClone(use);
    },
  };
}

/** Which write: the item kind (its pk prefix) and what the update sets first. */
function label(command: string, input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as Record<string, { S?: string }> | undefined;
  const kind = key?.pk?.S?.split('#')[0] ?? '';
  const expression = typeof input.UpdateExpression === 'string' ? input.UpdateExpression.split(/[ ,=]/).filter(Boolean)[1] ?? '' : '';
  return [command.replace('Command', ''), kind, expression].filter(Boolean).join(' ');
}
