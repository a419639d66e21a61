/**
 * Packages the service offline (`serverless package`, no AWS account) from a copy of
 * serverless.yml and infra/cloudformation/, with freshly built bundles, and checks the generated
 * CloudFormation: what the code relies on (tables, queue, event source, routes, environment) and
 * what keeps it safe (one least-privilege role per function, DLQ, alarm, no secret in the template).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { z } from 'zod';
import { buildFunctions, LAMBDA_FUNCTIONS, LAMBDA_NODE_TARGET, ROOT, type LambdaFunction } from '../../../infra/build/build-functions.ts';
import { MESSAGE_RETENTION_SECONDS } from '../../../infra/aws/provision.ts';
import { projectionOf, TABLES, tableName } from '../../../infra/aws/tables.ts';
import { ServiceEnvironment } from '../../../shared/config.ts';
import { nodeTarget, runtimeRefusal } from './lambda-runtimes.ts';

const STAGE = 'ci';
const MAX_ZIP_BYTES = 10 * 1024 * 1024;
const SERVERLESS = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');

const Resource = z.looseObject({ Type: z.string(), Properties: z.record(z.string(), z.unknown()).default({}) });
const Template = z.looseObject({ Resources: z.record(z.string(), Resource) });
type Template = z.infer<typeof Template>;

const Statement = z.strictObject({
  Effect: z.literal('Allow'),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
});
const RoleProperties = z.looseObject({
  Policies: z.array(z.looseObject({ PolicyDocument: z.looseObject({ Statement: z.array(Statement) }) })),
});
const FunctionProperties = z.looseObject({
  Handler: z.string(),
  Runtime: z.string(),
  Architectures: z.array(z.string()),
  Timeout: z.number(),
  Code: z.looseObject({ S3Key: z.string() }),
  Role: z.unknown(),
  Environment: z.looseObject({ Variables: z.record(z.string(), z.unknown()) }),
});

const logicalName = (name: LambdaFunction) => `${name[0]!.toUpperCase()}${name.slice(1)}`;

/**
 * `X` for `!GetAtt X.Arn`, `X/index/Y` for `!Join ['/', [!GetAtt X.Arn, index, Y]]`, and the ARN
 * text with `${X}` for each `!Ref X` for `!Join ['', [...]]`.
 */
function describeArn(value: unknown): string {
  const getAtt = z.strictObject({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }).safeParse(value);
  if (getAtt.success) return getAtt.data['Fn::GetAtt'][0];
  const concat = z.strictObject({ 'Fn::Join': z.tuple([z.literal(''), z.array(z.union([z.string(), z.strictObject({ Ref: z.string() })]))]) }).safeParse(value);
  if (concat.success) return concat.data['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `\${${part.Ref}}`)).join('');
  const join = z.strictObject({ 'Fn::Join': z.tuple([z.literal('/'), z.array(z.unknown())]) }).safeParse(value);
  if (join.success) return join.data['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : describeArn(part))).join('/');
  assert.fail(`unexpected IAM resource ${JSON.stringify(value)}`);
}

/** Every grant of a role as `action resource`, sorted. */
function grants(template: Template, roleId: string): string[] {
  const role = RoleProperties.parse(resource(template, roleId, 'AWS::IAM::Role'));
  return role.Policies.flatMap((policy) => policy.PolicyDocument.Statement.flatMap((statement) => {
    const actions = [statement.Action].flat();
    const resources = [statement.Resource].flat().map(describeArn);
    return actions.flatMap((action) => resources.map((arn) => `${action} ${arn}`));
  })).sort();
}

function describeRef(value: unknown): string {
  return z.strictObject({ Ref: z.string() }).parse(value).Ref;
}

function resource(template: Template, id: string, type: string): Record<string, unknown> {
  const found = template.Resources[id];
  assert.ok(found, `resource ${id} is in the template`);
  assert.equal(found.Type, type, `resource ${id}`);
  return found.Properties;
}

function resourcesOfType(template: Template, type: string): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type).map(([id, r]) => [id, r.Properties]);
}

/** Names in a zip's central directory. */
function zipEntries(zip: Buffer): string[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'zip has an end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(offset), 0x02014b50, 'central directory entry signature');
    const nameLength = zip.readUInt16LE(offset + 28);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
  }
  return names.sort();
}

describe('serverless package (offline)', () => {
  let work: string;
  let packageDir: string;
  let template: Template;
  let output: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'crossdock-sls-'));
    await cp(join(ROOT, 'serverless.yml'), join(work, 'serverless.yml'));
    await cp(join(ROOT, 'infra', 'cloudformation'), join(work, 'infra', 'cloudformation'), { recursive: true });
    await buildFunctions({ outdir: join(work, '.build', 'lambda') });
    packageDir = join(work, 'package');
    const env: Record<string, string | undefined> = {
      ...process.env,
      // Dummy credentials: should anything try AWS, it fails instead of reaching a real account.
      AWS_ACCESS_KEY_ID: 'offline',
      AWS_SECRET_ACCESS_KEY: 'offline',
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    };
    const result = await promisify(execFile)(process.execPath, [SERVERLESS, 'package', '--stage', STAGE, '--region', 'us-east-1', '--package', packageDir], {
      cwd: work,
      env,
      timeout: 60_000,
    });
    output = `${result.stdout}${result.stderr}`;
    template = Template.parse(JSON.parse(await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8')));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packages with a valid configuration and no deprecation', () => {
    assert.match(output, /Service packaged/);
    assert.doesNotMatch(output, /Invalid configuration|deprecation/i);
  });

  it('declares exactly the tables of infra/aws/tables.ts, keys, attributes and indexes alike', () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    assert.deepEqual(tables.map(([, p]) => p.TableName).sort(), TABLES.map((t) => tableName(`crossdock-${STAGE}`, t)).sort());
    const keySchema = (hash: string, range?: string) => [
      { AttributeName: hash, KeyType: 'HASH' },
      ...(range === undefined ? [] : [{ AttributeName: range, KeyType: 'RANGE' }]),
    ];
    for (const table of TABLES) {
      const [, props] = tables.find(([, p]) => p.TableName === tableName(`crossdock-${STAGE}`, table))!;
      assert.deepEqual(props.KeySchema, keySchema(table.partitionKey, table.sortKey), `${table.name} key schema`);
      const attributes = z.array(z.strictObject({ AttributeName: z.string(), AttributeType: z.string() })).parse(props.AttributeDefinitions);
      assert.deepEqual(
        Object.fromEntries(attributes.map((a) => [a.AttributeName, a.AttributeType])),
        table.attributes,
        `${table.name} attribute definitions`,
      );
      assert.equal(attributes.length, Object.keys(table.attributes).length, `${table.name} defines each attribute once`);
      const indexes = z.array(z.looseObject({ IndexName: z.string() })).parse(props.GlobalSecondaryIndexes ?? []);
      assert.deepEqual(
        [...indexes].sort((a, b) => a.IndexName.localeCompare(b.IndexName)),
        table.indexes
          .map((index) => ({ IndexName: index.name, KeySchema: keySchema(index.partitionKey, index.sortKey), Projection: projectionOf(index) }))
          .sort((a, b) => a.IndexName.localeCompare(b.IndexName)),
        `${table.name} global secondary indexes`,
      );
      assert.deepEqual(
        props.TimeToLiveSpecification,
        table.ttlAttribute === undefined ? undefined : { AttributeName: table.ttlAttribute, Enabled: true },
        `${table.name} TTL`,
      );
      assert.equal(props.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(props.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.deepEqual(props.SSESpecification, { SSEEnabled: true });
    }
  });

  it('expires task records on tasks.expiresAt', () => {
    assert.deepEqual(resource(template, 'TasksTable', 'AWS::DynamoDB::Table').TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
  });

  it('redrives task messages to the DLQ after the maxReceiveCount the worker is given', () => {
    const queue = resource(template, 'TasksQueue', 'AWS::SQS::Queue');
    assert.deepEqual(queue.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': ['TasksDeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    const worker = FunctionProperties.parse(resource(template, 'WorkerLambdaFunction', 'AWS::Lambda::Function'));
    assert.equal(worker.Environment.Variables.CROSSDOCK_MAX_RECEIVE_COUNT, '5');
    assert.equal(resource(template, 'TasksDeadLetterQueue', 'AWS::SQS::Queue').MessageRetentionPeriod, 1_209_600);
    assert.equal(queue.MessageRetentionPeriod, MESSAGE_RETENTION_SECONDS, 'the task queue keeps messages as long as the embedded one');
  });

  it('keeps a message invisible for at least 6 × the worker timeout', () => {
    const worker = FunctionProperties.parse(resource(template, 'WorkerLambdaFunction', 'AWS::Lambda::Function'));
    const visibility = z.number().parse(resource(template, 'TasksQueue', 'AWS::SQS::Queue').VisibilityTimeout);
    assert.ok(visibility >= 6 * worker.Timeout, `visibility ${visibility} s, worker timeout ${worker.Timeout} s`);
  });

  it('feeds the worker batches of 10 with partial batch responses and a concurrency cap', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
    assert.equal(mappings.length, 1);
    const [, mapping] = mappings[0]!;
    assert.deepEqual(mapping.EventSourceArn, { 'Fn::GetAtt': ['TasksQueue', 'Arn'] });
    assert.deepEqual(mapping.FunctionName, { 'Fn::GetAtt': ['WorkerLambdaFunction', 'Arn'] });
    assert.equal(mapping.BatchSize, 10);
    assert.deepEqual(mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(mapping.ScalingConfig, { MaximumConcurrency: 10 });
  });

  it('runs the sweep every five minutes and the due subscriptions every minute', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule');
    assert.deepEqual(rules.map(([, p]) => [p.ScheduleExpression, z.array(z.looseObject({ Arn: z.unknown() })).parse(p.Targets).map((t) => describeArn(t.Arn))]).sort(), [
      ['rate(1 minute)', ['SubscriptionsLambdaFunction']],
      ['rate(5 minutes)', ['SweepLambdaFunction']],
    ]);
  });

  it('gives the subscriptions run five minutes', () => {
    assert.equal(FunctionProperties.parse(resource(template, 'SubscriptionsLambdaFunction', 'AWS::Lambda::Function')).Timeout, 300);
  });

  it('routes the HTTP API to the webhook and api functions', () => {
    const routes = Object.fromEntries(resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
      const target = z.strictObject({ 'Fn::Join': z.tuple([z.literal('/'), z.tuple([z.literal('integrations'), z.strictObject({ Ref: z.string() })])]) }).parse(route.Target);
      const integration = resource(template, target['Fn::Join'][1][1].Ref, 'AWS::ApiGatewayV2::Integration');
      assert.equal(integration.PayloadFormatVersion, '2.0');
      return [z.string().parse(route.RouteKey), describeArn(integration.IntegrationUri)];
    }));
    assert.deepEqual(routes, {
      'POST /webhooks/{provider}': 'WebhookLambdaFunction',
      'POST /webhooks/{provider}/{source}': 'WebhookLambdaFunction',
      'ANY /rules': 'ApiLambdaFunction',
      'ANY /rules/{proxy+}': 'ApiLambdaFunction',
      'ANY /sync': 'ApiLambdaFunction',
      'ANY /subscriptions': 'ApiLambdaFunction',
      'ANY /subscriptions/{proxy+}': 'ApiLambdaFunction',
      'ANY /tasks': 'ApiLambdaFunction',
      'ANY /tasks/{proxy+}': 'ApiLambdaFunction',
      // The console.
      'GET /': 'ApiLambdaFunction',
      'ANY /ui': 'ApiLambdaFunction',
      'ANY /ui/{proxy+}': 'ApiLambdaFunction',
    });
  });

  it('gives every function its own role and no shared default role', () => {
    const roles = LAMBDA_FUNCTIONS.map((name) => FunctionProperties.parse(resource(template, `${logicalName(name)}LambdaFunction`, 'AWS::Lambda::Function')).Role);
    assert.deepEqual(roles, LAMBDA_FUNCTIONS.map((name) => ({ 'Fn::GetAtt': [`${logicalName(name)}Role`, 'Arn'] })));
    assert.equal(template.Resources.IamRoleLambdaExecution, undefined);
    assert.equal(resourcesOfType(template, 'AWS::IAM::Role').length, LAMBDA_FUNCTIONS.length);
  });

  it('allows each function only the calls its code makes', () => {
    const logs = (group: string) => [`logs:CreateLogStream ${group}`, `logs:PutLogEvents ${group}`];
    // Secrets Manager appends a random 6-character suffix to a secret's name in its ARN.
    const secret = (name: string) => `secretsmanager:GetSecretValue arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:crossdock/${STAGE}/${name}-??????`;
    const expected: Record<LambdaFunction, string[]> = {
      webhook: [
        ...logs('WebhookLogGroup'),
        'dynamodb:Query RulesTable/index/bySourceRegistry',
        'dynamodb:PutItem TasksTable',
        'dynamodb:UpdateItem TasksTable',
        'sqs:SendMessage TasksQueue',
        secret('webhook-sources'),
      ],
      api: [
        ...logs('ApiLogGroup'),
        'dynamodb:GetItem RulesTable', 'dynamodb:PutItem RulesTable', 'dynamodb:DeleteItem RulesTable', 'dynamodb:Scan RulesTable',
        'dynamodb:GetItem TasksTable', 'dynamodb:PutItem TasksTable', 'dynamodb:UpdateItem TasksTable', 'dynamodb:BatchGetItem TasksTable',
        'dynamodb:Query TasksTable/index/byTime',
        'dynamodb:Query RulesTable/index/bySourceRegistry',
        'sqs:SendMessage TasksQueue',
        // The console's health summary: queue depth, and the oldest waiting task.
        'sqs:GetQueueAttributes TasksQueue', 'dynamodb:Query TasksTable/index/byWaiting',
        // The webhook sources' registries are declared registries (issue 8): read for their names.
        secret('api-keys'), secret('registries'), secret('webhook-sources'),
      ],
      worker: [
        ...logs('WorkerLogGroup'),
        'dynamodb:GetItem TasksTable', 'dynamodb:PutItem TasksTable', 'dynamodb:UpdateItem TasksTable',
        // Listing steps of rule runs (issue 12): the rule, new tasks and the next steps; sync links
        // (issue 13): the links, their shared slots, a queued task's message sent again.
        'dynamodb:GetItem RulesTable', 'dynamodb:Query RulesTable/index/bySourceRegistry', 'sqs:SendMessage TasksQueue',
        // A subscription run's last listing step records the run on the subscription (issue 12).
        'dynamodb:PutItem RulesTable',
        'sqs:ReceiveMessage TasksQueue', 'sqs:DeleteMessage TasksQueue', 'sqs:GetQueueAttributes TasksQueue', 'sqs:ChangeMessageVisibility TasksQueue',
        secret('registries'), secret('webhook-sources'),
      ],
      sweep: [
        ...logs('SweepLogGroup'),
        'dynamodb:Query TasksTable/index/byWaiting',
        'dynamodb:BatchGetItem TasksTable', 'dynamodb:UpdateItem TasksTable',
        'sqs:SendMessage TasksQueue',
        'sqs:SendMessage ScheduledFailuresQueue',
      ],
      subscriptions: [
        ...logs('SubscriptionsLogGroup'),
        'dynamodb:Scan RulesTable', 'dynamodb:PutItem RulesTable',
        'dynamodb:PutItem TasksTable', 'dynamodb:UpdateItem TasksTable',
        'sqs:SendMessage TasksQueue',
        'sqs:SendMessage ScheduledFailuresQueue',
        secret('registries'), secret('webhook-sources'),
      ],
    };
    for (const name of LAMBDA_FUNCTIONS) assert.deepEqual(grants(template, `${logicalName(name)}Role`), expected[name].sort(), `${name} role`);
  });

  it('lets the worker pull, push and create repositories in its own ECR, and assume only the listed roles in other accounts (issue 14)', () => {
    const repositories = 'arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/*';
    const policy = (id: string) => z.looseObject({ Roles: z.array(z.strictObject({ Ref: z.string() })), PolicyDocument: z.looseObject({ Statement: z.array(z.unknown()) }) }).parse(resource(template, id, 'AWS::IAM::ManagedPolicy'));
    const assumeListed = { 'Fn::If': ['HasCrossAccountRoles', { Effect: 'Allow', Action: ['sts:AssumeRole'], Resource: { Ref: 'CrossAccountRoleArns' } }, { Ref: 'AWS::NoValue' }] };
    const worker = policy('WorkerEcrPolicy');
    assert.deepEqual(worker.Roles, [{ Ref: 'WorkerRole' }]);
    const [token, repository, assume] = worker.PolicyDocument.Statement as [z.infer<typeof Statement>, z.infer<typeof Statement>, unknown];
    assert.deepEqual(token, { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' });
    assert.deepEqual([repository.Action].flat().sort(), ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload', 'ecr:CreateRepository', 'ecr:GetDownloadUrlForLayer', 'ecr:InitiateLayerUpload', 'ecr:ListImages', 'ecr:PutImage', 'ecr:TagResource', 'ecr:UploadLayerPart']);
    assert.equal(describeArn(repository.Resource), repositories);
    assert.deepEqual(assume, assumeListed);
    const reader = policy('ReaderEcrPolicy');
    assert.deepEqual(reader.Roles, [{ Ref: 'ApiRole' }, { Ref: 'SubscriptionsRole' }]);
    assert.equal(reader.PolicyDocument.Statement.length, 3);
    assert.deepEqual(reader.PolicyDocument.Statement[2], assumeListed);
    assert.deepEqual(z.object({ Type: z.string(), Default: z.string() }).parse((template as { Parameters?: Record<string, unknown> }).Parameters?.CrossAccountRoleArns), { Type: 'CommaDelimitedList', Default: '' });
  });

  it('lets the worker read the notifications secret, find an execution\'s tasks, and publish only to the listed topics and buses; the API reads the secret (issue 15)', () => {
    const policy = (id: string) => z.looseObject({ Roles: z.array(z.strictObject({ Ref: z.string() })), PolicyDocument: z.looseObject({ Statement: z.array(z.unknown()) }) }).parse(resource(template, id, 'AWS::IAM::ManagedPolicy'));
    const secrets = policy('NotificationsSecretPolicy');
    assert.deepEqual(secrets.Roles, [{ Ref: 'WorkerRole' }, { Ref: 'ApiRole' }]);
    const [read] = secrets.PolicyDocument.Statement as [z.infer<typeof Statement>];
    assert.equal(secrets.PolicyDocument.Statement.length, 1);
    assert.deepEqual(read.Action, ['secretsmanager:GetSecretValue']);
    assert.equal(describeArn(read.Resource), `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:crossdock/${STAGE}/notifications-??????`);
    const worker = policy('WorkerNotificationsPolicy');
    assert.deepEqual(worker.Roles, [{ Ref: 'WorkerRole' }]);
    const [query, batchGet, publish, putEvents] = worker.PolicyDocument.Statement as [z.infer<typeof Statement>, z.infer<typeof Statement>, unknown, unknown];
    assert.deepEqual([query.Action, describeArn(query.Resource)], [['dynamodb:Query'], 'TasksTable/index/byTime']);
    assert.deepEqual([batchGet.Action, describeArn(batchGet.Resource)], [['dynamodb:BatchGetItem'], 'TasksTable']);
    assert.deepEqual(publish, { 'Fn::If': ['HasNotificationTopics', { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: 'NotificationTopicArns' } }, { Ref: 'AWS::NoValue' }] });
    assert.deepEqual(putEvents, { 'Fn::If': ['HasNotificationEventBuses', { Effect: 'Allow', Action: ['events:PutEvents'], Resource: { Ref: 'NotificationEventBusArns' } }, { Ref: 'AWS::NoValue' }] });
    const parameters = (template as { Parameters?: Record<string, unknown> }).Parameters;
    for (const name of ['NotificationTopicArns', 'NotificationEventBusArns']) {
      assert.deepEqual(z.object({ Type: z.string(), Default: z.string() }).parse(parameters?.[name]), { Type: 'CommaDelimitedList', Default: '' }, name);
    }
  });

  it('never lets the worker delete items or scan', () => {
    // It sends only a queued task's own message again (sync links, issue 13).
    const actions = grants(template, 'WorkerRole').map((grant) => grant.split(' ')[0] ?? grant);
    for (const forbidden of ['dynamodb:DeleteItem', 'dynamodb:Scan']) assert.ok(!actions.includes(forbidden), forbidden);
    assert.ok(actions.every((action) => !action.includes('*')), 'no wildcard action');
  });

  it('never lets the subscriptions run delete items or query the rules index', () => {
    const granted = grants(template, 'SubscriptionsRole');
    const actions = granted.map((grant) => grant.split(' ')[0] ?? grant);
    assert.ok(!actions.includes('dynamodb:DeleteItem'), 'dynamodb:DeleteItem');
    assert.deepEqual(granted.filter((grant) => grant.startsWith('dynamodb:Query ') || grant.includes('RulesTable/index/')), []);
    assert.ok(actions.every((action) => !action.includes('*')), 'no wildcard action');
  });

  it('wires each function to the tables and queue, and names only the secrets it needs, never their values', () => {
    const secrets: Record<LambdaFunction, Record<string, string>> = {
      webhook: { CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'webhook-sources' },
      api: { CROSSDOCK_API_KEYS_SECRET: 'api-keys', CROSSDOCK_REGISTRIES_SECRET: 'registries', CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'webhook-sources', CROSSDOCK_NOTIFICATIONS_SECRET: 'notifications' },
      worker: { CROSSDOCK_REGISTRIES_SECRET: 'registries', CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'webhook-sources', CROSSDOCK_NOTIFICATIONS_SECRET: 'notifications' },
      sweep: {},
      subscriptions: { CROSSDOCK_REGISTRIES_SECRET: 'registries', CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'webhook-sources' },
    };
    const known = new Set([...Object.keys(ServiceEnvironment.shape), 'NODE_OPTIONS']);
    for (const name of LAMBDA_FUNCTIONS) {
      const variables = FunctionProperties.parse(resource(template, `${logicalName(name)}LambdaFunction`, 'AWS::Lambda::Function')).Environment.Variables;
      assert.deepEqual(Object.keys(variables).filter((key) => !known.has(key)), [], `${name}: every variable is one shared/config.ts reads`);
      assert.deepEqual(variables.CROSSDOCK_RULES_TABLE, { Ref: 'RulesTable' });
      assert.deepEqual(variables.CROSSDOCK_TASKS_TABLE, { Ref: 'TasksTable' });
      assert.deepEqual(variables.CROSSDOCK_QUEUE_URL, { Ref: 'TasksQueue' });
      assert.equal(variables.CROSSDOCK_RETENTION_DAYS, '30', `${name} retention`);
      assert.equal(variables.CROSSDOCK_LOG_LEVEL, 'info', `${name} log level`);
      assert.equal(variables.CROSSDOCK_SECRETS_TTL_SECONDS, '300', `${name} secrets cache`);
      const named = Object.fromEntries(Object.entries(variables).filter(([key]) => key.endsWith('_SECRET')));
      assert.deepEqual(named, Object.fromEntries(Object.entries(secrets[name]).map(([key, secret]) => [key, `crossdock/${STAGE}/${secret}`])), `${name} secrets`);
      const values = ['CROSSDOCK_API_KEYS', 'CROSSDOCK_WEBHOOK_SOURCES', 'CROSSDOCK_REGISTRIES', 'CROSSDOCK_NOTIFICATIONS'].filter((key) => key in variables);
      assert.deepEqual(values, [], `${name}: no secret value in the environment`);
    }
  });

  it('alarms on failed work, queue age, function errors and throttles, DynamoDB throttles and API 5xx', () => {
    const alarms = Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, alarm]) => {
      assert.deepEqual(alarm.AlarmActions, [{ Ref: 'AlarmTopic' }], `${id} notifies the alarm topic`);
      assert.equal(alarm.ComparisonOperator, 'GreaterThanThreshold', id);
      assert.equal(alarm.TreatMissingData, 'notBreaching', id);
      if (alarm.Metrics !== undefined) {
        const metrics = z.array(z.looseObject({ Id: z.string(), Expression: z.string().optional(), MetricStat: z.looseObject({ Metric: z.looseObject({ Namespace: z.string(), MetricName: z.string(), Dimensions: z.unknown() }) }).optional() })).parse(alarm.Metrics);
        const stats = metrics.flatMap((m) => (m.MetricStat ? [`${m.MetricStat.Metric.Namespace} ${m.MetricStat.Metric.MetricName} ${JSON.stringify(m.MetricStat.Metric.Dimensions)}`] : []));
        return [id, [...stats, metrics.find((m) => m.Expression)?.Expression, alarm.Threshold]];
      }
      return [id, [`${z.string().parse(alarm.Namespace)} ${z.string().parse(alarm.MetricName)} ${JSON.stringify(alarm.Dimensions)}`, alarm.Threshold]];
    }));
    const queue = (id: string) => JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }]);
    const table = (id: string) => JSON.stringify([{ Name: 'TableName', Value: { Ref: id } }]);
    const fn = (name: LambdaFunction) => JSON.stringify([{ Name: 'FunctionName', Value: { Ref: `${logicalName(name)}LambdaFunction` } }]);
    assert.deepEqual(alarms, {
      TasksDeadLetterQueueAlarm: [`AWS/SQS ApproximateNumberOfMessagesVisible ${queue('TasksDeadLetterQueue')}`, 0],
      ScheduledFailuresAlarm: [`AWS/SQS ApproximateNumberOfMessagesVisible ${queue('ScheduledFailuresQueue')}`, 0],
      TasksQueueAgeAlarm: [`AWS/SQS ApproximateAgeOfOldestMessage ${queue('TasksQueue')}`, 1800],
      ApiServerErrorsAlarm: [`AWS/ApiGateway 5xx ${JSON.stringify([{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }])}`, 0],
      ...Object.fromEntries(['Rules', 'Tasks'].map((t) => [`${t}TableThrottlesAlarm`, [
        `AWS/DynamoDB ReadThrottleEvents ${table(`${t}Table`)}`,
        `AWS/DynamoDB WriteThrottleEvents ${table(`${t}Table`)}`,
        'FILL(reads, 0) + FILL(writes, 0)',
        0,
      ]])),
      ...Object.fromEntries(LAMBDA_FUNCTIONS.flatMap((name) => ['Errors', 'Throttles'].map((metric) => [`${logicalName(name)}${metric}Alarm`, [`AWS/Lambda ${metric} ${fn(name)}`, 0]]))),
    });
  });

  it('reserves concurrency so a webhook burst cannot starve the worker, nor throttle it below its event source', () => {
    const reserved = Object.fromEntries(LAMBDA_FUNCTIONS.map((name) => [name, resource(template, `${logicalName(name)}LambdaFunction`, 'AWS::Lambda::Function').ReservedConcurrentExecutions]));
    assert.deepEqual(reserved, { webhook: 50, api: 10, worker: 10, sweep: 1, subscriptions: 1 });
    const [[, mapping]] = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping') as [[string, Record<string, unknown>]];
    const maximum = z.strictObject({ MaximumConcurrency: z.number() }).parse(mapping.ScalingConfig).MaximumConcurrency;
    // A batch Lambda throttles still counts as a receive: it would walk messages to the DLQ.
    assert.ok(z.number().parse(reserved.worker) >= maximum, `worker reserved ${reserved.worker} ≥ event source maximum ${maximum}`);
  });

  it('sends failed scheduled runs to a failure destination instead of retrying them', () => {
    const configs = Object.fromEntries(resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').map(([, p]) => [describeRef(p.FunctionName), [p.MaximumRetryAttempts, p.DestinationConfig]]));
    const destination = { OnFailure: { Destination: { 'Fn::GetAtt': ['ScheduledFailuresQueue', 'Arn'] } } };
    assert.deepEqual(configs, { SweepLambdaFunction: [0, destination], SubscriptionsLambdaFunction: [0, destination] });
    resource(template, 'ScheduledFailuresQueue', 'AWS::SQS::Queue');
  });

  it('keeps the tables and queues when the stack is deleted or a resource replaced', () => {
    for (const id of ['RulesTable', 'TasksTable', 'TasksQueue', 'TasksDeadLetterQueue', 'ScheduledFailuresQueue']) {
      const found = z.looseObject({ DeletionPolicy: z.string().optional(), UpdateReplacePolicy: z.string().optional() }).parse(template.Resources[id]);
      assert.deepEqual([found.DeletionPolicy, found.UpdateReplacePolicy], ['Retain', 'Retain'], id);
    }
  });

  it('throttles the HTTP API stage and writes its access logs', () => {
    const stage = resource(template, 'HttpApiStage', 'AWS::ApiGatewayV2::Stage');
    const settings = z.looseObject({ ThrottlingRateLimit: z.number(), ThrottlingBurstLimit: z.number() }).parse(stage.DefaultRouteSettings);
    assert.deepEqual([settings.ThrottlingRateLimit, settings.ThrottlingBurstLimit], [200, 400]);
    const logs = z.strictObject({ DestinationArn: z.unknown(), Format: z.string() }).parse(stage.AccessLogSettings);
    assert.equal(describeArn(logs.DestinationArn), 'HttpApiLogGroup');
    for (const field of ['$context.requestId', '$context.status', '$context.routeKey']) assert.ok(logs.Format.includes(field), field);
  });

  it('passes cfn-lint with no errors (when cfn-lint is installed)', async (t) => {
    const lint = await promisify(execFile)('cfn-lint', ['--format', 'parseable', join(packageDir, 'cloudformation-template-update-stack.json')], { timeout: 120_000 })
      .then(() => ({ code: 0, stdout: '' }), (error: NodeJS.ErrnoException & { code?: unknown; stdout?: string }) => ({ code: error.code, stdout: error.stdout ?? '' }));
    if (lint.code === 'ENOENT') {
      t.diagnostic('cfn-lint is not installed here; .ci/run installs it');
      return;
    }
    // cfn-lint exits with a bit mask: 2 errors, 4 warnings, 8 informational.
    const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    assert.deepEqual(errors, []);
    assert.equal(typeof lint.code === 'number' ? lint.code & 3 : lint.code, 0, lint.stdout);
  });

  it('ships each function as its own zip of bundle and source map, under 10 MB', async () => {
    for (const name of LAMBDA_FUNCTIONS) {
      const fn = FunctionProperties.parse(resource(template, `${logicalName(name)}LambdaFunction`, 'AWS::Lambda::Function'));
      assert.equal(fn.Handler, `.build/lambda/${name}/index.handler`);
      assert.equal(runtimeRefusal(fn.Runtime, new Date()), undefined, `${name} runtime`);
      assert.equal(nodeTarget(fn.Runtime), LAMBDA_NODE_TARGET, `${name}: the bundle targets the runtime's Node.js`);
      assert.deepEqual(fn.Architectures, ['arm64']);
      assert.ok(fn.Code.S3Key.endsWith(`/${name}.zip`), fn.Code.S3Key);
      const zip = join(packageDir, `${name}.zip`);
      const { size } = await stat(zip);
      assert.ok(size > 0 && size < MAX_ZIP_BYTES, `${name}.zip is ${size} bytes`);
      assert.deepEqual(zipEntries(await readFile(zip)), [`.build/lambda/${name}/index.mjs`, `.build/lambda/${name}/index.mjs.map`]);
    }
  });

  it('keeps logs for the configured retention', () => {
    const groups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    assert.deepEqual(groups.map(([id, p]) => [id, p.LogGroupName, p.RetentionInDays]).sort(), [
      ...LAMBDA_FUNCTIONS.map((name) => [`${logicalName(name)}LogGroup`, `/aws/lambda/crossdock-${STAGE}-${name}`, 30]),
      ['HttpApiLogGroup', `/aws/http-api/crossdock-${STAGE}`, 30],
    ].sort());
  });
});
