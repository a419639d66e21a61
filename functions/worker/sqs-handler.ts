/**
 * The worker as an SQS-triggered Lambda handler: a Lambda-shaped SQS event in, partial batch
 * failures out. Lambda calls it through handler.ts; the local runtime's poller calls the same
 * function with the events it builds from ReceiveMessage.
 */
import { z } from 'zod';
import type { createWorker } from '../../shared/tasks/worker.ts';

export const SqsEvent = z.looseObject({
  Records: z.array(z.looseObject({
    messageId: z.string(),
    receiptHandle: z.string().optional(),
    body: z.string(),
    attributes: z.looseObject({ ApproximateReceiveCount: z.coerce.number().int().min(1) }),
  })),
});
export type SqsEvent = z.infer<typeof SqsEvent>;

export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export function createSqsHandler(worker: ReturnType<typeof createWorker>) {
  return async function handleSqsEvent(event: unknown, context: LambdaContext, signal?: AbortSignal): Promise<SqsBatchResponse> {
    const parsed = SqsEvent.parse(event);
    const failed = await worker(
      parsed.Records.map((r) => ({ messageId: r.messageId, body: r.body, receiveCount: r.attributes.ApproximateReceiveCount, ...(r.receiptHandle ? { receiptHandle: r.receiptHandle } : {}) })),
      { deadline: Date.now() + context.getRemainingTimeInMillis(), ...(signal ? { signal } : {}) },
    );
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
