/**
 * AWS-compatible servers that run inside this process, for `npm start` and the tests:
 *   DynamoDB  dynalite (LevelDB on disk, or memory-level when no directory is given)
 *   SQS       local-aws-sqs (in memory only: it has no persistence, so queued messages are lost
 *             on restart; the task records in DynamoDB survive and stale PENDING tasks can be
 *             re-enqueued from there)
 * Both listen on 127.0.0.1 only. The real AWS SDK clients reach them through `endpoint`.
 */
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import dynalite from 'dynalite';
import { createRequestHandler } from 'local-aws-sqs';
import { closeDynaliteIterators } from './embedded-dynalite-iterators.ts';
import { countOnlyReceives } from './embedded-sqs-receive-count.ts';

export interface EmbeddedServer {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  close(): Promise<void>;
}

export interface EmbeddedDynamoDbOptions {
  /** LevelDB directory, created when missing; in memory when undefined. */
  dataDir?: string;
  /** 0 or undefined: a free port. */
  port?: number;
}

export interface EmbeddedSqsOptions {
  /** 0 or undefined: a free port. */
  port?: number;
}

const LOOPBACK = '127.0.0.1';

export async function startEmbeddedDynamoDb(options: EmbeddedDynamoDbOptions = {}): Promise<EmbeddedServer> {
  if (options.dataDir !== undefined) await mkdir(options.dataDir, { recursive: true });
  // Without it every Query and Scan leaves a LevelDB iterator open for good (issue 8).
  closeDynaliteIterators();
  // dynalite imitates DynamoDB's 500 ms CREATING/DELETING/UPDATING states by default; a local
  // stack gains nothing from the wait, and provisioning still polls until ACTIVE.
  const server = dynalite({
    ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listen(server, options.port ?? 0);
  // dynalite's close() stops the HTTP server, then closes LevelDB (releasing its LOCK file), so
  // a later start on the same directory sees everything written before.
  return { endpoint: `http://${LOOPBACK}:${port}`, close: () => closeServer(server) };
}

export async function startEmbeddedSqs(options: EmbeddedSqsOptions = {}): Promise<EmbeddedServer> {
  // createSqsServer() would listen without reporting bind errors; the request handler on our own
  // server lets a taken port reject instead of crashing the process with an 'error' event.
  const { service, requestHandler } = createRequestHandler({ port: options.port ?? 0, hostname: LOOPBACK });
  const server = createServer((request, response) => {
    // Queues appear through CreateQueue; a record is made only in a queue made by an earlier
    // request, so patching here comes before the first record of every queue.
    for (const queue of service.Queues) countOnlyReceives(queue);
    requestHandler(request, response).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy(error instanceof Error ? error : undefined);
        return;
      }
      response.statusCode = 500;
      response.setHeader('content-type', 'application/x-amz-json-1.0');
      response.end(JSON.stringify({ __type: 'InternalError', message: 'local-aws-sqs request handler failed' }));
    });
  });
  const port = await listen(server, options.port ?? 0);
  // Queue URLs are built from service.PORT; createSqsServer() sets it the same way once bound.
  service.PORT = port;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    close: async () => {
      const closed = closeServer(server);
      // A long poll (WaitTimeSeconds) holds its connection for up to 20 s; end it now.
      server.closeAllConnections();
      await closed;
      service.resetAll();
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error(`listen on ${LOOPBACK}:${port}: server reported no TCP port`));
        return;
      }
      resolve(address.port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
