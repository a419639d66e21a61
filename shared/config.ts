/**
 * The process environment, parsed once. No other module reads `process.env`: they receive
 * what they need from here.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);

export const Environment = z.object({
  DOCKER_CONFIG: z.string().optional(),
  HOME: z.string().optional(),
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

/**
 * The deployed service's settings (Lambda environment, set by serverless.yml). Secrets may be
 * given directly or, better, as SSM/Secrets Manager references resolved at deploy time.
 */
export const ServiceEnvironment = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  CROSSDOCK_RULES_TABLE: z.string().min(1),
  CROSSDOCK_TASKS_TABLE: z.string().min(1),
  CROSSDOCK_QUEUE_URL: z.string().url(),
  /** Local endpoints (the embedded runtime); absent on AWS. */
  CROSSDOCK_DYNAMODB_ENDPOINT: z.string().url().optional(),
  CROSSDOCK_SQS_ENDPOINT: z.string().url().optional(),
  CROSSDOCK_API_KEYS: z.string().default('').transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean)),
  /** `{ name: { provider, auth, registry? } }` as JSON. */
  CROSSDOCK_WEBHOOK_SOURCES: JsonText(z.record(z.string(), z.unknown())).default({}),
  /** `{ host or host/namespace: RegistryOptions }` as JSON. */
  CROSSDOCK_REGISTRIES: JsonText(z.record(z.string(), z.unknown())).default({}),
  CROSSDOCK_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).default(5),
  CROSSDOCK_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  CROSSDOCK_LOG_LEVEL: LogLevel.default('info'),
});
export type ServiceEnvironment = z.infer<typeof ServiceEnvironment>;

export function readServiceEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): ServiceEnvironment {
  const parsed = ServiceEnvironment.safeParse(env);
  if (!parsed.success) throw new InvalidInputError('ENVIRONMENT_INVALID', parsed.error.issues.map((i) => `environment ${i.path.join('.')}: ${i.message}`));
  return parsed.data;
}
