/** Lambda entry: the SQS batch handler (partial batch responses: `ReportBatchItemFailures`). */
import { createWorker } from '../../shared/tasks/worker.ts';
import { createService } from '../service.ts';
import { createSqsHandler } from './sqs-handler.ts';

const service = createService();

export const handler = createSqsHandler(createWorker({ store: service.store, engine: service.engine, logger: service.logger, queue: service.queue, maxReceiveCount: service.env.CROSSDOCK_MAX_RECEIVE_COUNT }));
