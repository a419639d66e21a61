/**
 * The Lambda edge of the service configuration: the environment parsed once at cold start, and
 * the secrets a function needs read from Secrets Manager (or the environment, for a throwaway
 * stage) then cached for `CROSSDOCK_SECRETS_TTL_SECONDS`. A GAR JSON key or a CA certificate
 * does not fit in Lambda's 4 KB of environment; a secret holds up to 64 KB.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseSecretText, readServiceEnvironment, SECRET_VARIABLES, serviceSettings, type SecretName, type ServiceConfig, ServiceSecrets } from '../../shared/config.ts';
import { createLogger, type Logger } from '../../shared/log.ts';
import { localCredentials } from '../wiring/local-credentials.ts';
import { createCached } from './cached.ts';
import { createSecretReader, type ReadSecret } from './secrets-manager.ts';

export type Settings = Omit<ServiceConfig, SecretName>;

export interface LambdaConfig<K extends SecretName> {
  settings: Settings;
  logger: Logger;
  /** The same object while no secret's text changed. */
  secrets: () => Promise<Pick<ServiceSecrets, K>>;
}

export interface LambdaConfigOptions {
  /** Tests give a reader over a client with explicit endpoint and credentials. */
  readSecret?: ReadSecret;
  now?: () => number;
  logger?: Logger;
}

export function loadLambdaConfig<K extends SecretName>(
  env: Readonly<Record<string, string | undefined>>,
  needs: readonly K[],
  options: LambdaConfigOptions = {},
): LambdaConfig<K> {
  const environment = readServiceEnvironment(env);
  const settings = serviceSettings(environment);
  const logger = options.logger ?? createLogger({ level: settings.logLevel });
  const sources = needs.map((name) => {
    const vars = SECRET_VARIABLES[name];
    const secretId = environment[vars.secret];
    return secretId === undefined
      ? { name, where: vars.value, text: environment[vars.value] }
      : { name, where: `secret ${secretId}`, secretId };
  });
  let readSecret = options.readSecret;
  if (readSecret === undefined && sources.some((s) => s.secretId !== undefined)) {
    readSecret = createSecretReader(new SecretsManagerClient({ region: settings.region, ...localCredentials(environment.CROSSDOCK_SECRETSMANAGER_ENDPOINT) }));
  }
  let last: { texts: string; value: Pick<ServiceSecrets, K> } | undefined;
  const read = async (): Promise<Pick<ServiceSecrets, K>> => {
    const texts = await Promise.all(sources.map((s) => (s.secretId === undefined ? s.text : readSecret!(s.secretId))));
    const key = JSON.stringify(texts);
    if (last !== undefined && last.texts === key) return last.value;
    const value = Object.fromEntries(sources.map((s, i) => {
      const text = texts[i];
      return [s.name, text === undefined ? parseDefault(s.name) : parseSecretText(s.name, text, s.where)];
    })) as Pick<ServiceSecrets, K>;
    if (last !== undefined) logger.info('configuration secrets changed', { secrets: sources.map((s) => s.name).join(',') });
    last = { texts: key, value };
    return value;
  };
  return {
    settings,
    logger,
    secrets: createCached({ read, ttlMs: environment.CROSSDOCK_SECRETS_TTL_SECONDS * 1000, logger, what: 'secrets', ...(options.now ? { now: options.now } : {}) }),
  };
}

function parseDefault(name: SecretName): ServiceSecrets[SecretName] {
  return ServiceSecrets.shape[name].parse(undefined);
}
