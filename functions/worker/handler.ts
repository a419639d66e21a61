/** Lambda entry: the SQS batch handler (partial batch responses: `ReportBatchItemFailures`). */
import { z } from 'zod';
import { createWorker } from '../../shared/tasks/worker.ts';
import { createService } from '../service.ts';

const SqsEvent = z.looseObject({
  Records: z.array(z.looseObject({
    messageId: z.string(),
    body: z.string(),
    attributes: z.looseObject({ ApproximateReceiveCount: z.coerce.number().int().min(1) }),
  })),
});

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

const service = createService();
const worker = createWorker({ store: service.store, engine: service.engine, logger: service.logger, maxReceiveCount: service.env.CROSSDOCK_MAX_RECEIVE_COUNT });

export async function handler(event: unknown, context: LambdaContext): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const parsed = SqsEvent.parse(event);
  const failed = await worker(
    parsed.Records.map((r) => ({ messageId: r.messageId, body: r.body, receiveCount: r.attributes.ApproximateReceiveCount })),
    { deadline: Date.now() + context.getRemainingTimeInMillis() },
  );
  return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
}
