/**
 * Delivering a notification to an AWS target: SNS Publish to a topic, or EventBridge PutEvents to
 * a bus, with the same JSON body a webhook gets (it carries no secret; IAM, not a signature,
 * says who may publish). The SDK's own retries are off so that one backoff (delivery-retry.ts)
 * governs every kind of target; throttling, 5xx and connection failures are retried, other
 * refusals (no permission, no such topic) are not.
 */
import { createHash } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { EVENT_HEADER, NOTIFICATION_ID_HEADER } from './delivery.ts';
import { DEFAULT_DELIVERY, deliverWithRetry, type AttemptOutcome, type RetrySeams } from './delivery-retry.ts';
import type { EventBridgeTarget, SnsTarget } from './target.ts';

export interface AwsDeliveryOptions extends RetrySeams {
  /** The service's region: an event bus named without an ARN is there. */
  region: string;
  /** Explicit endpoint and credentials for the clients (tests: a loopback stand-in). */
  client?: { endpoint?: string; credentials?: { accessKeyId: string; secretAccessKey: string } };
}

export interface AwsDelivery {
  /** Resolves with the attempts it took; throws NotificationFailedError after the last one. */
  deliver(target: SnsTarget | EventBridgeTarget, body: string, headers?: Record<string, string>): Promise<number>;
  close(): void;
}

/** The region field of an ARN (`arn:partition:service:region:…`). */
const arnRegion = (arn: string): string | undefined => arn.split(':')[3] || undefined;

export function createAwsDelivery(options: AwsDeliveryOptions): AwsDelivery {
  const policy = options.policy ?? DEFAULT_DELIVERY;
  const clientConfig = (region: string) => ({ region, maxAttempts: 1, requestHandler: { requestTimeout: policy.timeoutMs, connectionTimeout: policy.timeoutMs }, ...options.client });
  const sns = new Map<string, SNSClient>();
  const events = new Map<string, EventBridgeClient>();
  const snsFor = (region: string) => sns.get(region) ?? sns.set(region, new SNSClient(clientConfig(region))).get(region)!;
  const eventsFor = (region: string) => events.get(region) ?? events.set(region, new EventBridgeClient(clientConfig(region))).get(region)!;

  const publish = async (target: SnsTarget, body: string, event: string, id: string): Promise<AttemptOutcome> => {
    const fifo = target.topicArn.endsWith('.fifo');
    await snsFor(arnRegion(target.topicArn)!).send(new PublishCommand({
      TopicArn: target.topicArn,
      Message: body,
      // Attributes let subscriptions filter (`{"event": ["task.failed"]}`) without reading the body.
      MessageAttributes: { event: { DataType: 'String', StringValue: event }, notification_id: { DataType: 'String', StringValue: id } },
      ...(fifo ? { MessageGroupId: 'crossdock', MessageDeduplicationId: createHash('sha256').update(id).digest('hex') } : {}),
    }));
    return { delivered: true };
  };

  const putEvent = async (target: EventBridgeTarget, body: string, event: string): Promise<AttemptOutcome> => {
    const region = target.eventBus.startsWith('arn:') ? arnRegion(target.eventBus)! : options.region;
    const response = await eventsFor(region).send(new PutEventsCommand({
      Entries: [{ EventBusName: target.eventBus, Source: target.source, DetailType: target.detailType ?? event, Detail: body }],
    }));
    const failed = response.Entries?.[0];
    if ((response.FailedEntryCount ?? 0) === 0 && !failed?.ErrorCode) return { delivered: true };
    // PutEvents answers 200 with the entry's own error.
    const code = failed?.ErrorCode ?? 'unknown';
    return { delivered: false, retryable: /Throttl|Internal/i.test(code), why: `event not put: ${code} ${failed?.ErrorMessage ?? ''}`.trim() };
  };

  return {
    async deliver(target, body, headers = {}) {
      const event = headers[EVENT_HEADER] ?? 'notification';
      const id = headers[NOTIFICATION_ID_HEADER] ?? createHash('sha256').update(body).digest('hex');
      const where = target.kind === 'sns' ? `SNS Publish ${target.topicArn}` : `EventBridge PutEvents ${target.eventBus}`;
      return deliverWithRetry(where, async () => {
        try {
          return target.kind === 'sns' ? await publish(target, body, event, id) : await putEvent(target, body, event);
        } catch (error) {
          return { delivered: false, retryable: retryableSdkError(error), why: sdkWhy(error), cause: error };
        }
      }, { policy, ...(options.sleep ? { sleep: options.sleep } : {}), ...(options.random ? { random: options.random } : {}) });
    },
    close() {
      for (const client of [...sns.values(), ...events.values()]) client.destroy();
      sns.clear();
      events.clear();
    },
  };
}

type SdkError = Error & { $metadata?: { httpStatusCode?: number }; $retryable?: unknown; Code?: string };

/** Throttling, 5xx, timeouts and connection failures (no HTTP status) may pass on a later attempt. */
function retryableSdkError(error: unknown): boolean {
  const e = error as SdkError;
  const status = e.$metadata?.httpStatusCode;
  if (e.$retryable !== undefined || /Throttl|TooManyRequests|RequestLimitExceeded/i.test(e.name ?? '')) return true;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

function sdkWhy(error: unknown): string {
  const e = error as SdkError;
  const status = e.$metadata?.httpStatusCode;
  return `${status !== undefined ? `answered ${status} ` : ''}${e.name ?? 'Error'}: ${e.message}`;
}
