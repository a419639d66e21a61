import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients, LOCAL_CREDENTIALS, type AwsClients } from '../../infra/aws/clients.ts';
import { startEmbeddedDynamoDb, startEmbeddedSqs, type EmbeddedServer } from '../../infra/aws/embedded.ts';
import { ensureQueues, ensureTables } from '../../infra/aws/provision.ts';
import { RULES_TABLE, TASKS_TABLE, tableName } from '../../infra/aws/tables.ts';
import { freePort } from './ports.ts';

export const TEST_REGION = 'us-east-1';
const DYNAMODB_LOCAL_READY_TIMEOUT_MS = 30_000;
const DYNAMODB_LOCAL_START_ATTEMPTS = 3;

export type DynamoDbEngine = 'dynalite' | 'dynamodb-local';

export interface LocalAwsOptions {
  dynamodb?: DynamoDbEngine;
  /** Of the tasks queue; 30 s unless a test needs redelivery to happen quickly. */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
}

export interface LocalAws {
  clients: AwsClients;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  /** Random per start, so that suites sharing a server never see each other's data. */
  prefix: string;
  /** Physical table names. */
  tables: { rules: string; tasks: string };
  queueUrl: string;
  dlqUrl: string;
  close(): Promise<void>;
}

/**
 * DynamoDB (dynalite in-process, or the DynamoDB Local jar) and SQS (local-aws-sqs in-process) on
 * free loopback ports, with the real SDK clients pointed at them and the tables and queues made.
 */
export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const servers: EmbeddedServer[] = [];
  let clients: AwsClients | undefined;
  const closeAll = async (): Promise<void> => {
    clients?.dynamodb.destroy();
    clients?.sqs.destroy();
    await Promise.all(servers.map((server) => server.close()));
  };
  try {
    const dynamodb = options.dynamodb === 'dynamodb-local' ? await startDynamoDbLocal() : await startEmbeddedDynamoDb();
    servers.push(dynamodb);
    const sqs = await startEmbeddedSqs();
    servers.push(sqs);
    clients = createAwsClients({ region: TEST_REGION, dynamodbEndpoint: dynamodb.endpoint, sqsEndpoint: sqs.endpoint });
    const prefix = `crossdock-test-${randomBytes(4).toString('hex')}`;
    await ensureTables(clients.dynamodb, prefix);
    const { queueUrl, dlqUrl } = await ensureQueues(clients.sqs, prefix, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
      maxReceiveCount: options.maxReceiveCount ?? 3,
    });
    return {
      clients,
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
      prefix,
      tables: { rules: tableName(prefix, RULES_TABLE), tasks: tableName(prefix, TASKS_TABLE) },
      queueUrl,
      dlqUrl,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

// DynamoDB Local processes still running when the test process exits (a crash, a missing
// after()) are killed, so that no JVM keeps a port busy.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** The jar and native libraries that the npm package amplify-dynamodb-simulator ships. */
async function findDynamoDbLocal(): Promise<string> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
  await access(join(dir, 'DynamoDBLocal.jar'));
  return dir;
}

/**
 * The official DynamoDB Local (Java) in memory on a free port, answering ListTables before this
 * resolves. `-sharedDb` gives every credential and region the same tables, as one AWS account
 * would; `-disableTelemetry` keeps it off the network. It has no bind-address option: Jetty
 * listens on all interfaces.
 */
export async function startDynamoDbLocal(): Promise<EmbeddedServer> {
  const dir = await findDynamoDbLocal();
  let lastError: unknown;
  for (let attempt = 0; attempt < DYNAMODB_LOCAL_START_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      return await launchDynamoDbLocal(dir, port);
    } catch (error) {
      // Another process may have taken the port between freePort() and the JVM binding it.
      lastError = error;
    }
  }
  throw new Error(`DynamoDB Local did not start in ${DYNAMODB_LOCAL_START_ATTEMPTS} attempts`, { cause: lastError });
}

async function launchDynamoDbLocal(dir: string, port: number): Promise<EmbeddedServer> {
  const args = ['-Djava.library.path=./DynamoDBLocal_lib', '-jar', 'DynamoDBLocal.jar',
    '-inMemory', '-sharedDb', '-disableTelemetry', '-port', String(port)];
  const child = spawn('java', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not run java: ${error.message}`));
    child.once('exit', (code, signal) => resolve(`java exited (code ${code}, signal ${signal})`));
  });
  let exitReason: string | undefined;
  void exited.then((reason) => {
    exitReason = reason;
    running.delete(child);
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const close = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  // One attempt per probe: the SDK's own retry backoff would only slow the polling down.
  const probe = new DynamoDBClient({ region: TEST_REGION, endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  try {
    const deadline = Date.now() + DYNAMODB_LOCAL_READY_TIMEOUT_MS;
    for (;;) {
      if (exitReason !== undefined) throw new Error(`DynamoDB Local on port ${port}: ${exitReason}\n${output}`);
      try {
        await probe.send(new ListTablesCommand({}));
        return { endpoint, close };
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local on port ${port}: no answer after ${DYNAMODB_LOCAL_READY_TIMEOUT_MS} ms\n${output}`, { cause: error });
        }
      }
      await sleep(100);
    }
  } catch (error) {
    await close();
    throw error;
  } finally {
    probe.destroy();
  }
}
