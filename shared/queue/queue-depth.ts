/**
 * How much work waits in the task queue (SQS GetQueueAttributes, approximate by SQS's own
 * definition): what the console's health summary shows. A port of its own, apart from `Queue`,
 * so that producers need no read permission on the queue.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface QueueDepthReading {
  /** Waiting to be received. */
  visible: number;
  /** Received and not yet deleted (being worked on, or hidden for a retry's backoff). */
  inFlight: number;
  delayed: number;
}

export interface QueueDepth {
  read(): Promise<QueueDepthReading>;
}

export class SqsQueueDepth implements QueueDepth {
  constructor(private readonly client: SQSClient, private readonly queueUrl: string) {}

  async read(): Promise<QueueDepthReading> {
    const response = await this.client.send(new GetQueueAttributesCommand({
      QueueUrl: this.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }));
    const count = (name: string) => Number(response.Attributes?.[name as keyof typeof response.Attributes] ?? 0) || 0;
    return {
      visible: count('ApproximateNumberOfMessages'),
      inFlight: count('ApproximateNumberOfMessagesNotVisible'),
      delayed: count('ApproximateNumberOfMessagesDelayed'),
    };
  }
}
