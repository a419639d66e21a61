/**
 * The Lambda edge of the service configuration, for the secrets given: the environment parsed once
 * at cold start, and each secret read from Secrets Manager (or the environment, for a throwaway
 * stage) then cached for `CROSSDOCK_SECRETS_TTL_SECONDS`. A GAR JSON key or a CA certificate does
 * not fit in Lambda's 4 KB of environment; a secret holds up to 64 KB.
 *
 * A function that names its secrets here (the webhook: its sources) builds no other secret's
 * schema; lambda-config.ts gives every secret by name.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, type Logger } from '../../shared/log.ts';
import type { SecretText } from '../../shared/secret-text.ts';
import { readServiceEnvironment, SECRET_VARIABLES, serviceSettings, type SecretName, type ServiceSettings } from '../../shared/service-environment.ts';
import { localCredentials } from '../wiring/local-credentials.ts';
import { createCached } from './cached.ts';
import { createSecretReader, type ReadSecret } from './secrets-manager.ts';

export type Settings = ServiceSettings;

export interface LambdaConfigOf<S> {
  settings: Settings;
  logger: Logger;
  /** The same object while no secret's text changed. */
  secrets: () => Promise<S>;
}

export interface LambdaConfigOptions {
  /** Tests give a reader over a client with explicit endpoint and credentials. */
  readSecret?: ReadSecret;
  now?: () => number;
  logger?: Logger;
}

/** How each secret a function reads is parsed, by name. */
export type SecretTexts<S> = { [K in keyof S & SecretName]: SecretText<S[K]> };

export function loadLambdaConfigOf<S extends Partial<Record<SecretName, unknown>>>(
  env: Readonly<Record<string, string | undefined>>,
  texts: SecretTexts<S>,
  options: LambdaConfigOptions = {},
): LambdaConfigOf<S> {
  const environment = readServiceEnvironment(env);
  const settings = serviceSettings(environment);
  const logger = options.logger ?? createLogger({ level: settings.logLevel });
  const sources = (Object.keys(texts) as (keyof S & SecretName)[]).map((name) => {
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
  let last: { texts: string; value: S } | undefined;
  const read = async (): Promise<S> => {
    const given = await Promise.all(sources.map((s) => (s.secretId === undefined ? s.text : readSecret!(s.secretId))));
    const key = JSON.stringify(given);
    if (last !== undefined && last.texts === key) return last.value;
    const value = Object.fromEntries(sources.map((s, i) => [s.name, texts[s.name].parse(given[i], s.where)])) as S;
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
