/**
 * A genuine first delivery for a cold webhook bundle (measure-bundles.ts): tables and queues on the
 * embedded DynamoDB and SQS, one rule that matches, a configured source, and a distribution push
 * that is new at every run, so each cold process does what a real first delivery does: read the
 * rules, compile their tag pattern, record a task and send its message.
 *
 * Each checkout provisions with its own infra/aws and stores its rule with its own rule store and
 * schema (an older checkout's item layout may differ): they are imported from `root`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const REGISTRY = 'registry.measure.example';
const TOKEN = 'Bearer measure-token';

export interface FirstDelivery {
  /** Added to the bundle's environment. */
  env: Record<string, string>;
  /** The Lambda event (API Gateway HTTP API, payload 2.0) of delivery number `run`. */
  event(run: number): unknown;
}

interface CheckoutModules {
  clients: { createAwsClients(config: { region: string; dynamodbEndpoint: string; sqsEndpoint: string }): { dynamodb: { destroy(): void }; sqs: { destroy(): void } } };
  provision: {
    ensureTables(client: unknown, prefix: string): Promise<unknown>;
    ensureQueues(client: unknown, prefix: string, options: { visibilityTimeoutSeconds: number; maxReceiveCount: number }): Promise<{ queueUrl: string }>;
  };
  tables: { RULES_TABLE: unknown; TASKS_TABLE: unknown; tableName(prefix: string, table: unknown): string };
  store: { DynamoDbRuleStore: new (client: unknown, table: string) => { put(rule: unknown): Promise<void> } };
  rule: { Rule: { parse(value: unknown): unknown } };
}

const load = async (root: string, path: string): Promise<unknown> => import(pathToFileURL(join(root, path)).href);

export async function prepareFirstDelivery(root: string, endpoints: { dynamodb: string; sqs: string }, prefix: string): Promise<FirstDelivery> {
  const modules = {
    clients: await load(root, 'infra/aws/clients.ts'),
    provision: await load(root, 'infra/aws/provision.ts'),
    tables: await load(root, 'infra/aws/tables.ts'),
    store: await load(root, 'shared/rules/dynamodb-rule-store.ts'),
    rule: await load(root, 'shared/rules/rule.ts'),
  } as CheckoutModules;
  const region = 'us-east-1';
  const clients = modules.clients.createAwsClients({ region, dynamodbEndpoint: endpoints.dynamodb, sqsEndpoint: endpoints.sqs });
  try {
    await modules.provision.ensureTables(clients.dynamodb, prefix);
    const { queueUrl } = await modules.provision.ensureQueues(clients.sqs, prefix, { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
    const rulesTable = modules.tables.tableName(prefix, modules.tables.RULES_TABLE);
    const at = new Date().toISOString();
    // The shape of a rule both the 244 ms-era checkout and this one accept.
    await new modules.store.DynamoDbRuleStore(clients.dynamodb, rulesTable).put(modules.rule.Rule.parse({
      id: 'measure-rule', name: 'measure', enabled: true,
      source: { registry: REGISTRY, namespace: 'app' },
      tagPattern: 'v[0-9]+(\\.[0-9]+)*',
      destinations: [{ registry: 'mirror.measure.example', namespace: 'mirror' }],
      overwrite: false, platforms: [], referrers: true, createdAt: at, updatedAt: at,
    }));
    return {
      env: {
        CROSSDOCK_RULES_TABLE: rulesTable,
        CROSSDOCK_TASKS_TABLE: modules.tables.tableName(prefix, modules.tables.TASKS_TABLE),
        CROSSDOCK_QUEUE_URL: queueUrl,
        CROSSDOCK_DYNAMODB_ENDPOINT: endpoints.dynamodb,
        CROSSDOCK_SQS_ENDPOINT: endpoints.sqs,
        CROSSDOCK_WEBHOOK_SOURCES: JSON.stringify({ distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: REGISTRY } }),
      },
      event: (run) => deliveryEvent(run),
    };
  } finally {
    clients.dynamodb.destroy();
    clients.sqs.destroy();
  }
}

function deliveryEvent(run: number): unknown {
  const body = JSON.stringify({ events: [{
    id: `measure-${run}-${Date.now()}`,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${run.toString(16).padStart(64, '0')}`, size: 1234, repository: 'app/web', tag: `v1.0.${run}` },
    request: { host: REGISTRY },
  }] });
  return {
    version: '2.0', routeKey: '$default', rawPath: '/webhooks/distribution', rawQueryString: '',
    headers: { host: 'h', 'content-type': 'application/json', authorization: TOKEN },
    requestContext: { http: { method: 'POST', path: '/webhooks/distribution', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'measure' }, stage: '$default', requestId: `r-${run}`, routeKey: '$default', accountId: '1', apiId: 'a', domainName: 'h', domainPrefix: 'h', time: '', timeEpoch: 0 },
    body, isBase64Encoded: false,
  };
}
