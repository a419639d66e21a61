/**
 * The credential port for one ECR registry entry: credentials from its account's token, and its
 * own repository settings for CreateRepository (entries per namespace may differ).
 */
import type { CredentialProvider, ProvidedCredentials } from '../../oci/credential-provider.ts';
import type { EcrSettings } from '../cloud-registry-options.ts';
import type { EcrAccess } from './ecr-access.ts';

export function createEcrProvider(access: EcrAccess, settings: EcrSettings): CredentialProvider {
  const registryId = settings.accountId;
  const create = settings.createRepository;
  return {
    credentials: (): Promise<ProvidedCredentials> => access.credentials(),
    invalidate: () => access.invalidate(),
    ...(create === false ? {} : { ensureRepository: (repository: string) => access.createRepository(repository, create, registryId) }),
    // Only a destination in another account has a grant to check at rule creation.
    ...(settings.roleArn ? { checkPush: (repository: string, requester: string) => access.checkPush(repository, requester, registryId) } : {}),
  };
}
