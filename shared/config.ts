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
import { JsonText, KeyList, parseText, secretText, type SecretText } from './secret-text.ts';
import { LogLevel, type SecretName, ServiceSettings } from './service-environment.ts';
import { WEBHOOK_SOURCES_SECRET, WEBHOOK_SOURCES_TEXT, WebhookSources } from './webhooks/webhook-source.ts';

// The environment's schema and the settings read from it live in service-environment.ts, so that
// a function can read them without building every secret's schema; re-exported for the callers
// that import them from here.
export { readServiceEnvironment, SECRET_VARIABLES, ServiceEnvironment, serviceSettings, type SecretName } from './service-environment.ts';

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

/**
 * The settings that are secrets: on Lambda each is read from Secrets Manager (or, for a
 * throwaway stage, given in the environment); on one machine they come from the config file.
 */
export const ServiceSecrets = z.strictObject({
  apiKeys: z.array(z.string().min(1)).default([]),
  /** Webhook sources by name. */
  webhookSources: WebhookSources,
  /** `host` or `host/namespace` → how to reach that registry. */
  registries: z.record(z.string(), CloudRegistryOptions).default({}),
  /** Notification targets (each with its signing secret) and the global notification policies. */
  notifications: NotificationsConfig.prefault({}),
});
export type ServiceSecrets = z.infer<typeof ServiceSecrets>;

/** The one typed service configuration every function's wiring (functions/service.ts) takes. */
export const ServiceConfig = z.strictObject({
  ...ServiceSettings.shape,
  ...ServiceSecrets.shape,
});
export type ServiceConfig = z.infer<typeof ServiceConfig>;

/** Each secret's text, parsed the same way whether it came from the environment or Secrets Manager. */
export const SECRET_TEXT = {
  apiKeys: KeyList,
  webhookSources: WEBHOOK_SOURCES_TEXT,
  registries: JsonText(ServiceSecrets.shape.registries),
  notifications: JsonText(ServiceSecrets.shape.notifications),
} as const satisfies Record<SecretName, z.ZodType>;

/** Parses one secret's text; every problem is listed, the text itself never. */
export function parseSecretText<K extends SecretName>(name: K, text: string, where: string): ServiceSecrets[K] {
  return parseText(SECRET_TEXT[name] as z.ZodType<unknown, string>, text, where) as ServiceSecrets[K];
}

/** Each secret, given or not (functions/config/lambda-config.ts). */
export const SECRETS: { [K in SecretName]: SecretText<ServiceSecrets[K]> } = {
  apiKeys: secretText(ServiceSecrets.shape.apiKeys, KeyList),
  webhookSources: WEBHOOK_SOURCES_SECRET,
  registries: secretText(ServiceSecrets.shape.registries, SECRET_TEXT.registries),
  notifications: secretText(ServiceSecrets.shape.notifications, SECRET_TEXT.notifications),
};
