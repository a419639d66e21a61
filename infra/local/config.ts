/**
 * The one-machine runtime's configuration: one YAML or JSON file, validated with every problem
 * listed; environment variables override; secrets may be written as `{ env: NAME }` or
 * `{ file: PATH }` instead of in the file itself. Every field has an embedded default, so
 * `npm start` runs with no file at all.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from '../../shared/errors.ts';
import { LinkInput } from '../../shared/links/link.ts';
import { CloudRegistryOptions } from '../../shared/cloud/cloud-registry-options.ts';
import { NotificationTarget } from '../../shared/notifications/target.ts';
import { NotificationPolicy } from '../../shared/rules/rule-notifications.ts';
import { WebhookAuth } from '../../shared/webhooks/authenticity.ts';
import { WebhookSource } from '../../shared/webhooks/webhook-source.ts';

/** A secret: the value itself, or where to read it. */
export const Secret = z.union([
  z.string().min(1),
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type Secret = z.infer<typeof Secret>;

/**
 * Fields of the shared schema that hold a secret: in the local file each may also be written as
 * `{ env }` or `{ file }`. Derived from the shared schemas (shared/config.ts), so a new webhook
 * auth kind or registry option needs no edit here as long as its secret has one of these names.
 */
const SECRET_FIELDS = ['password', 'identityToken', 'secret', 'value'] as const;

function withSecretFields<T extends z.ZodObject>(schema: T) {
  const secretFields = SECRET_FIELDS.filter((field) => field in schema.shape);
  return schema.extend(Object.fromEntries(secretFields.map((field) => [field, schema.shape[field]!.isOptional() ? Secret.optional() : Secret])));
}

const RegistryEntry = withSecretFields(CloudRegistryOptions);
const WebhookSourceEntry = WebhookSource.extend({
  auth: z.discriminatedUnion('kind', WebhookAuth.options.map((option) => withSecretFields(option)) as unknown as [z.ZodObject, ...z.ZodObject[]]),
});

// Webhook targets only: SNS and EventBridge targets belong to the AWS deployment, and one machine
// gives the AWS SDK no credentials of its own to reach them with.
const NotificationTargetEntry = z.discriminatedUnion('kind', NotificationTarget.options.filter((option) => option.shape.kind.value === 'webhook').map((option) => withSecretFields(option)) as unknown as [z.ZodObject, ...z.ZodObject[]]);

export const LocalConfig = z.strictObject({
  listen: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
  }).prefault({}),
  /** Where the embedded DynamoDB keeps its data, and the generated secrets. */
  dataDir: z.string().min(1).default('.crossdock'),
  /** Keys for the API; none given: one is generated into `<dataDir>/api-key`. */
  apiKeys: z.array(Secret).default([]),
  /**
   * The registries the service may contact (issue 8), each with its options: `host`, `host:port`
   * or a pattern like `*.dkr.ecr.*.amazonaws.com`. A host with nothing to set is declared with
   * `{}` or no value at all (`127.0.0.1:5001:` in YAML).
   */
  registries: z.record(z.string(), RegistryEntry.nullable().transform((entry) => entry ?? {})).default({}),
  /**
   * Sync links by id (issue 13): stored when the runtime starts. Their route targets (proxy,
   * private addresses) count as declared: the operator wrote them here.
   */
  links: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -'), LinkInput).default({}),
  /** Webhook sources by name; none given: `distribution` with a token generated into `<dataDir>/webhook-token`. */
  webhooks: z.record(z.string(), WebhookSourceEntry).default({}),
  worker: z.strictObject({
    /** Batches processed at once (each up to `batchSize` tasks). */
    concurrency: z.number().int().min(1).max(64).default(2),
    batchSize: z.number().int().min(1).max(10).default(10),
    visibilityTimeoutSeconds: z.number().int().min(5).max(43_200).default(900),
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    /**
     * Lambda's timeout, on one machine: each batch's context counts down from this many seconds
     * (unset: from the visibility timeout, less a margin). Large blobs stop near it, save their
     * progress and go on in the next invocation.
     */
    invocationSeconds: z.number().min(0.5).max(900).optional(),
    /** How long a shutdown waits for copies in flight before interrupting them. */
    shutdownGraceSeconds: z.number().int().min(0).max(3600).default(30),
  }).prefault({}),
  schedules: z.strictObject({
    sweepSeconds: z.number().int().min(5).max(86_400).default(60),
    /** How often due subscriptions are looked for (each has its own schedule). */
    subscriptionsSeconds: z.number().int().min(1).max(3600).default(60),
  }).prefault({}),
  /** Use real AWS (or other endpoints) instead of the embedded servers. */
  aws: z.strictObject({
    region: z.string().min(1).default('us-east-1'),
    rulesTable: z.string().min(1),
    tasksTable: z.string().min(1),
    queueUrl: z.string().url(),
    dynamodbEndpoint: z.string().url().optional(),
    sqsEndpoint: z.string().url().optional(),
  }).optional(),
  retentionDays: z.number().int().min(1).max(3650).default(30),
  /** Notification targets (`secret` may be `{ env }` or `{ file }`) and the global policies. */
  notifications: z.strictObject({
    targets: z.record(z.string(), NotificationTargetEntry).default({}),
    global: z.array(NotificationPolicy).default([]),
  }).prefault({}),
  log: z.strictObject({
    level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** `pretty` on a terminal, `json` otherwise, unless said. */
    format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  }).prefault({}),
});
export type LocalConfig = z.infer<typeof LocalConfig>;

/** Environment variables that override the file, and the field each sets. */
export const ENV_OVERRIDES = {
  CROSSDOCK_HOST: 'listen.host',
  CROSSDOCK_PORT: 'listen.port',
  CROSSDOCK_DATA_DIR: 'dataDir',
  CROSSDOCK_API_KEY: 'apiKeys',
  CROSSDOCK_LOG_LEVEL: 'log.level',
  CROSSDOCK_LOG_FORMAT: 'log.format',
  CROSSDOCK_WORKER_CONCURRENCY: 'worker.concurrency',
} as const;

export async function loadLocalConfig(path: string | undefined, env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Promise<LocalConfig> {
  let raw: Record<string, unknown> = {};
  if (path !== undefined) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new InvalidInputError('CONFIG_UNREADABLE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const yaml = await import('yaml');
    const parse = yaml.parse ?? (yaml as unknown as { default: typeof yaml }).default.parse;
    let parsed: unknown;
    try {
      parsed = parse(text, { prettyErrors: true });
    } catch (error) {
      throw new InvalidInputError('CONFIG_INVALID', `${path} is neither valid JSON nor YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new InvalidInputError('CONFIG_INVALID', `${path}: the top level must be a mapping`);
    raw = (parsed as Record<string, unknown> | null) ?? {};
  }
  const overridden = applyOverrides(raw, env);
  const config = LocalConfig.safeParse(overridden);
  if (!config.success) {
    throw new InvalidInputError('CONFIG_INVALID', config.error.issues.map((i) => `${path ?? 'configuration'}: ${i.path.join('.') || 'top level'}: ${i.message}${'keys' in i && Array.isArray(i.keys) ? ` (${i.keys.join(', ')})` : ''}`));
  }
  const data = config.data;
  return { ...data, dataDir: isAbsolute(data.dataDir) ? data.dataDir : resolve(cwd, data.dataDir) };
}

function applyOverrides(raw: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(raw);
  const set = (path: string, value: unknown) => {
    const keys = path.split('.');
    let node = out;
    for (const key of keys.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  };
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (path === 'apiKeys') set(path, value.split(',').map((k) => k.trim()).filter(Boolean));
    else if (path === 'listen.port' || path === 'worker.concurrency') set(path, /^\d+$/.test(value) ? Number(value) : value);
    else set(path, value);
  }
  return out;
}

/** Reads a secret's value: itself, an environment variable, or a file (trailing newline dropped). */
export async function resolveSecret(secret: Secret, env: Readonly<Record<string, string | undefined>>, what: string): Promise<string> {
  if (typeof secret === 'string') return secret;
  if ('env' in secret) {
    const value = env[secret.env];
    if (value === undefined || value === '') throw new InvalidInputError('CONFIG_INVALID', `${what}: environment variable ${secret.env} is not set`);
    return value;
  }
  try {
    return (await readFile(secret.file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new InvalidInputError('CONFIG_INVALID', `${what}: cannot read ${secret.file}: ${(error as Error).message}`);
  }
}

/** A copy of `entry` with each secret field (`{ env }`, `{ file }` or the value) read. */
export async function resolveSecretFields(entry: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, what: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...entry };
  for (const field of SECRET_FIELDS) {
    if (out[field] !== undefined) out[field] = await resolveSecret(Secret.parse(out[field]), env, `${what}.${field}`);
  }
  return out;
}
