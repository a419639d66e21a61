/**
 * The cloud adapters behind the credential port, built once per process from the registries
 * configuration: one ECR access (token cache, SDK client) per account principal and region, one
 * STS client per base principal, one provider per registry entry. Imported by the worker and API
 * wiring only, so the webhook bundle carries no ECR or STS client.
 */
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { InvalidInputError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CredentialProvider, CredentialProviders } from '../oci/credential-provider.ts';
import type { DeclaredRegistries } from '../oci/egress-policy.ts';
import { ecrSettingsOf, type CloudRegistryInput, type EcrSettings } from './cloud-registry-options.ts';
import { EcrAccess } from './ecr/ecr-access.ts';
import { createEcrProvider } from './ecr/ecr-provider.ts';
import { RoleSessions } from './sts/role-sessions.ts';

/** Dummy credentials for a local stand-in endpoint: the SDK then never looks for real ones. */
const LOCAL_CREDENTIALS: AwsCredentialIdentity = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface CloudCredentialsOptions {
  logger: Logger;
  /**
   * Whether an entry without explicit credentials may use the SDK's default chain. True on Lambda
   * (the function's role); false on one machine and in tests, where the chain could end at the
   * instance metadata service: such an entry is a configuration error instead.
   */
  defaultChain: boolean;
  /** The service's declaration: an explicit `endpoint`/`stsEndpoint` must be declared by host. */
  declared?: DeclaredRegistries;
  /** The session name tasks assume roles under (grant checks name their requester instead). */
  sessionLabel?: string;
  now?: () => number;
}

/** Every problem with the cloud settings of a registries configuration, each naming its entry. */
export function cloudSettingsProblems(registries: Record<string, CloudRegistryInput>, options: Pick<CloudCredentialsOptions, 'defaultChain' | 'declared'>): string[] {
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(registries)) {
    if (key.includes('*')) continue;
    const ecr = ecrSettingsOf(key.split('/')[0]!, entry);
    if (!ecr) continue;
    for (const field of ['endpoint', 'stsEndpoint'] as const) {
      const url = ecr[field];
      if (url && options.declared && !options.declared.declaresExplicitly(new URL(url).host)) {
        problems.push(`registries.${key}.ecr.${field}: ${new URL(url).host} is not declared; declare it by host in registries`);
      }
    }
    if (!options.defaultChain && !ecr.credentials && !ecr.endpoint) {
      problems.push(`registries.${key}.ecr: give credentials (or an endpoint); outside Lambda crossdock never uses the AWS SDK's default credential chain`);
    }
    if (ecr.roleArn && !options.defaultChain && !ecr.credentials && !ecr.stsEndpoint) {
      problems.push(`registries.${key}.ecr: give credentials (or an stsEndpoint) to assume ${ecr.roleArn}`);
    }
  }
  return problems;
}

export function createCloudCredentials(registries: Record<string, CloudRegistryInput>, options: CloudCredentialsOptions): CredentialProviders {
  const problems = cloudSettingsProblems(registries, options);
  if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  const sessionLabel = options.sessionLabel ?? 'crossdock';
  const stsClients = new Map<string, STSClient>();
  const sessions = new Map<string, RoleSessions>();
  const accesses = new Map<string, EcrAccess>();
  const providers = new Map<string, CredentialProvider>();

  const baseCredentials = (ecr: EcrSettings, endpoint: string | undefined): AwsCredentialIdentity | undefined => {
    if (ecr.credentials) return ecr.credentials;
    if (endpoint) return LOCAL_CREDENTIALS;
    if (options.defaultChain) return undefined;
    // Validated above; a detected ECR host that was never configured lands here.
    throw new InvalidInputError('CONFIG_INVALID', `ECR in ${ecr.region}: give credentials in the registry's ecr settings; outside Lambda crossdock never uses the AWS SDK's default credential chain`);
  };

  const roleSessions = (ecr: EcrSettings): RoleSessions => {
    const base = baseCredentials(ecr, ecr.stsEndpoint);
    const key = JSON.stringify([ecr.region, ecr.stsEndpoint, base?.accessKeyId]);
    let found = sessions.get(key);
    if (!found) {
      const sts = new STSClient({ region: ecr.region, ...(ecr.stsEndpoint ? { endpoint: ecr.stsEndpoint } : {}), ...(base ? { credentials: base } : {}), maxAttempts: 2 });
      stsClients.set(key, sts);
      found = new RoleSessions(sts, { logger: options.logger, ...(options.now ? { now: options.now } : {}) });
      sessions.set(key, found);
    }
    return found;
  };

  const accessFor = (ecr: EcrSettings): EcrAccess => {
    // A token belongs to a principal in a region: the base credentials, or the role assumed with them.
    const credentials = ecr.roleArn ? undefined : baseCredentials(ecr, ecr.endpoint);
    const key = JSON.stringify([ecr.region, ecr.endpoint, ecr.roleArn, ecr.externalId, ecr.stsEndpoint, ecr.credentials?.accessKeyId]);
    let access = accesses.get(key);
    if (!access) {
      access = new EcrAccess({
        settings: ecr,
        credentials,
        sessions: ecr.roleArn ? roleSessions(ecr) : undefined,
        sessionLabel,
        logger: options.logger,
        ...(options.now ? { now: options.now } : {}),
      });
      accesses.set(key, access);
    }
    return access;
  };

  const lookup: CredentialProviders = (registry, registryOptions) => {
    const ecr = ecrSettingsOf(registry, registryOptions);
    if (!ecr) return undefined;
    const key = `${registry}\u0000${JSON.stringify(ecr)}`;
    let provider = providers.get(key);
    if (!provider) {
      provider = createEcrProvider(accessFor(ecr), ecr);
      providers.set(key, provider);
    }
    return provider;
  };
  lookup.close = async () => {
    for (const access of accesses.values()) access.close();
    for (const sts of stsClients.values()) sts.destroy();
    accesses.clear();
    stsClients.clear();
    sessions.clear();
    providers.clear();
  };
  return lookup;
}
