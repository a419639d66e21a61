/**
 * Reads a secret's text from AWS Secrets Manager (GetSecretValue, `SecretString`). The adapter
 * for functions/config/lambda-config.ts; the value is returned, never logged.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidInputError } from '../../shared/errors.ts';

export type ReadSecret = (secretId: string) => Promise<string>;

export function createSecretReader(client: SecretsManagerClient): ReadSecret {
  return async function readSecret(secretId) {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (result.SecretString === undefined) throw new InvalidInputError('SECRET_INVALID', `secret ${secretId} has no SecretString (binary secrets are not read)`);
    return result.SecretString;
  };
}
