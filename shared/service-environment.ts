/**
 * The deployed service's environment (set by serverless.yml) and the settings read from it, apart
 * from the secrets' schemas (shared/config.ts): a function parses its environment without building
 * the schemas of secrets it never reads (the registries' options, the notification targets).
 */
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

export const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof LogLevel>;

/** The settings of the service configuration that are not secrets (ServiceConfig holds both). */
export const ServiceSettings = z.strictObject({
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
});
export type ServiceSettings = z.infer<typeof ServiceSettings>;

/** The settings that are secrets, by name (ServiceSecrets in shared/config.ts has one schema each). */
export const SECRET_NAMES = ['apiKeys', 'webhookSources', 'registries', 'notifications'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/**
 * A secret is given either by the name of the Secrets Manager secret holding it (`…_SECRET`, read
 * at cold start and again when the cache expires) or, for a throwaway stage and the tests, as its
 * value.
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
export function serviceSettings(env: ServiceEnvironment): ServiceSettings {
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
