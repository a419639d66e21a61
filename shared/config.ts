/**
 * The process environment, parsed once. No other module reads `process.env`: they receive
 * what they need from here.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';
import { CloudRegistryOptions } from './cloud/cloud-registry-options.ts';
import { NotificationsConfig } from './notifications/target.ts';
import { WebhookSource } from './webhooks/webhook-source.ts';

const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);

export const Environment = z.object({
  DOCKER_CONFIG: z.string().optional(),
  HOME: z.string().optional(),
  /** The containers auth.json (podman, skopeo, buildah): this file, else under XDG_RUNTIME_DIR. */
  REGISTRY_AUTH_FILE: z.string().optional(),
  XDG_RUNTIME_DIR: z.string().optional(),
  /** image-syncer's defaults for destinations left empty. */
  DEFAULT_REGISTRY: z.string().optional(),
  DEFAULT_NAMESPACE: z.string().optional(),
  CROSSDOCK_LOG_LEVEL: LogLevel.optional(),
  NO_COLOR: z.string().optional(),
});
export type Environment = z.infer<typeof Environment>;

export interface ProcessConfig {
  env: Readonly<Record<string, string | undefined>>;
  dockerConfigPath: string;
  /** `REGISTRY_AUTH_FILE`, else `$XDG_RUNTIME_DIR/containers/auth.json`, else none. */
  containersAuthPath: string | undefined;
  defaultRegistry: string | undefined;
  defaultNamespace: string | undefined;
  logLevel: z.infer<typeof LogLevel> | undefined;
  color: boolean;
}

export function readProcessConfig(env: Readonly<Record<string, string | undefined>> = process.env): ProcessConfig {
  const parsed = Environment.safeParse(env);
  if (!parsed.success) {
    throw new InvalidInputError('ENVIRONMENT_INVALID', parsed.error.issues.map((i) => `environment ${i.path.join('.')}: ${i.message}`));
  }
  const known = parsed.data;
  const home = known.HOME ?? homedir();
  return {
    env,
    dockerConfigPath: join(known.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json'),
    containersAuthPath: known.REGISTRY_AUTH_FILE ?? (known.XDG_RUNTIME_DIR ? join(known.XDG_RUNTIME_DIR, 'containers', 'auth.json') : undefined),
    defaultRegistry: known.DEFAULT_REGISTRY,
    defaultNamespace: known.DEFAULT_NAMESPACE,
    logLevel: known.CROSSDOCK_LOG_LEVEL,
    color: known.NO_COLOR === undefined,
  };
}

const JsonText = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** Comma-separated API keys, as in CROSSDOCK_API_KEYS and the api-keys secret. */
const KeyList = z.string().transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean));

/**
 * The settings that are secrets: on Lambda each is read from Secrets Manager (or, for a
 * throwaway stage, given in the environment); on one machine they come from the config file.
 */
export const ServiceSecrets = z.strictObject({
  apiKeys: z.array(z.string().min(1)).default([]),
  /** Webhook sources by name. */
  webhookSources: z.record(z.string(), WebhookSource).default({}),
  /** `host` or `host/namespace` → how to reach that registry. */
  registries: z.record(z.string(), CloudRegistryOptions).default({}),
  /** Notification targets (each with its signing secret) and the global notification policies. */
  notifications: NotificationsConfig.prefault({}),
});
export type ServiceSecrets = z.infer<typeof ServiceSecrets>;
export type SecretName = keyof ServiceSecrets;

/** The one typed service configuration every function's wiring (functions/service.ts) takes. */
export const ServiceConfig = z.strictObject({
  region: z.string().min(1),
  rulesTable: z.string().min(1),
  tasksTable: z.string().min(1),
  queueUrl: z.string().url(),
  /** Local endpoints (the embedded runtime, tests); absent on AWS. */
  dynamodbEndpoint: z.string().url().optional(),
  sqsEndpoint: z.string().url().optional(),
  maxReceiveCount: z.number().int().min(1).max(1000),
  retentionDays: z.number().int().min(1).max(3650),
  logLevel: LogLevel,
  ...ServiceSecrets.shape,
});
export type ServiceConfig = z.infer<typeof ServiceConfig>;

/** Each secret's text, parsed the same way whether it came from the environment or Secrets Manager. */
export const SECRET_TEXT = {
  apiKeys: KeyList,
  webhookSources: JsonText(ServiceSecrets.shape.webhookSources),
  registries: JsonText(ServiceSecrets.shape.registries),
  notifications: JsonText(ServiceSecrets.shape.notifications),
} as const satisfies Record<SecretName, z.ZodType>;

/** Parses one secret's text; every problem is listed, the text itself never. */
export function parseSecretText<K extends SecretName>(name: K, text: string, where: string): ServiceSecrets[K] {
  const parsed = SECRET_TEXT[name].safeParse(text);
  if (!parsed.success) throw new InvalidInputError('ENVIRONMENT_INVALID', parsed.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`));
  return parsed.data as ServiceSecrets[K];
}

/**
 * The deployed service's environment (set by serverless.yml). A secret is given either by the
 * name of the Secrets Manager secret holding it (`…_SECRET`, read at cold start and again when
 * the cache expires) or, for a throwaway stage and the tests, as its value.
 */
export const ServiceEnvironment = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  CROSSDOCK_RULES_TABLE: z.string().min(1),
  CROSSDOCK_TASKS_TABLE: z.string().min(1),
  CROSSDOCK_QUEUE_URL: z.string().url(),
  /** Local endpoints (the embedded runtime, tests); absent on AWS. */
  CROSSDOCK_DYNAMODB_ENDPOINT: z.string().url().optional(),
  CROSSDOCK_SQS_ENDPOINT: z.string().url().optional(),
  CROSSDOCK_SECRETSMANAGER_ENDPOINT: z.string().url().optional(),
  /** Comma-separated API keys. */
  CROSSDOCK_API_KEYS: z.string().optional(),
  /** `{ name: { provider, auth, registry? } }` as JSON. */
  CROSSDOCK_WEBHOOK_SOURCES: z.string().optional(),
  /** `{ host or host/namespace: RegistryOptions }` as JSON. */
  CROSSDOCK_REGISTRIES: z.string().optional(),
  CROSSDOCK_API_KEYS_SECRET: z.string().min(1).optional(),
  CROSSDOCK_WEBHOOK_SOURCES_SECRET: z.string().min(1).optional(),
  CROSSDOCK_REGISTRIES_SECRET: z.string().min(1).optional(),
  /** `{ targets: { name: { kind, url, secret } }, global: [{ on, targets }] }` as JSON. */
  CROSSDOCK_NOTIFICATIONS: z.string().optional(),
  CROSSDOCK_NOTIFICATIONS_SECRET: z.string().min(1).optional(),
  /** How long a secret read from Secrets Manager is used before it is read again (rotation). */
  CROSSDOCK_SECRETS_TTL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  CROSSDOCK_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
  CROSSDOCK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CROSSDOCK_LOG_LEVEL: LogLevel.default('info'),
});
export type ServiceEnvironment = z.infer<typeof ServiceEnvironment>;

/** Which variables carry each secret, by value and by Secrets Manager name. */
export const SECRET_VARIABLES = {
  apiKeys: { value: 'CROSSDOCK_API_KEYS', secret: 'CROSSDOCK_API_KEYS_SECRET' },
  webhookSources: { value: 'CROSSDOCK_WEBHOOK_SOURCES', secret: 'CROSSDOCK_WEBHOOK_SOURCES_SECRET' },
  registries: { value: 'CROSSDOCK_REGISTRIES', secret: 'CROSSDOCK_REGISTRIES_SECRET' },
  notifications: { value: 'CROSSDOCK_NOTIFICATIONS', secret: 'CROSSDOCK_NOTIFICATIONS_SECRET' },
} as const satisfies Record<SecretName, { value: keyof ServiceEnvironment; secret: keyof ServiceEnvironment }>;

export function readServiceEnvironment(env: Readonly<Record<string, string | undefined>>): ServiceEnvironment {
  const parsed = ServiceEnvironment.safeParse(env);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `environment ${i.path.join('.')}: ${i.message}`);
  for (const { value, secret } of Object.values(SECRET_VARIABLES)) {
    if (env[value] !== undefined && env[secret] !== undefined) problems.push(`environment: ${value} and ${secret} are both set; give one`);
  }
  if (!parsed.success || problems.length > 0) throw new InvalidInputError('ENVIRONMENT_INVALID', problems);
  return parsed.data;
}

/** The configuration less its secrets, from the environment. */
export function serviceSettings(env: ServiceEnvironment): Omit<ServiceConfig, SecretName> {
  return {
    region: env.AWS_REGION,
    rulesTable: env.CROSSDOCK_RULES_TABLE,
    tasksTable: env.CROSSDOCK_TASKS_TABLE,
    queueUrl: env.CROSSDOCK_QUEUE_URL,
    ...(env.CROSSDOCK_DYNAMODB_ENDPOINT ? { dynamodbEndpoint: env.CROSSDOCK_DYNAMODB_ENDPOINT } : {}),
    ...(env.CROSSDOCK_SQS_ENDPOINT ? { sqsEndpoint: env.CROSSDOCK_SQS_ENDPOINT } : {}),
    maxReceiveCount: env.CROSSDOCK_MAX_RECEIVE_COUNT,
    retentionDays: env.CROSSDOCK_RETENTION_DAYS,
    logLevel: env.CROSSDOCK_LOG_LEVEL,
  };
}
