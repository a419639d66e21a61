/**
 * Stands in for `@aws-sdk/credential-provider-node` in the bundles named by
 * ENVIRONMENT_CREDENTIALS (build-functions.ts). A Lambda function (serverless.yml deploys no other
 * kind) is given its execution role's credentials in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
 * and `AWS_SESSION_TOKEN`: the first link of the SDK's default chain, the one that always answers
 * there. The rest of the chain (SSO, shared ini files, credential processes, web identity, the
 * container and instance metadata endpoints) and the nested STS/SSO clients it loads are about a
 * sixth of the webhook bundle, parsed at every cold start and never used on Lambda.
 *
 * Clients given explicit credentials (local endpoints: functions/wiring/stores.ts) never ask.
 */

export interface EnvironmentCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

type Environment = Readonly<Record<string, string | undefined>>;

/** The credentials in `env`; a clear error when the pair is missing. */
export function credentialsFromEnvironment(env: Environment): EnvironmentCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw Object.assign(new Error('no AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): this bundle reads credentials only as Lambda gives them'), { name: 'CredentialsProviderError' });
  }
  const expiration = env.AWS_CREDENTIAL_EXPIRATION ? new Date(env.AWS_CREDENTIAL_EXPIRATION) : undefined;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(expiration ? { expiration } : {}),
  };
}

/**
 * The name and shape the SDK's clients import (`defaultProvider as credentialDefaultProvider`):
 * called with the client's settings, it returns the provider the client calls before signing.
 * The environment is read at each call, as the SDK's own first link does.
 */
export const defaultProvider = (_init?: unknown) => async (): Promise<EnvironmentCredentials> => credentialsFromEnvironment(process.env);
