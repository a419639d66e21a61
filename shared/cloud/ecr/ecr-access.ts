/**
 * One principal's access to ECR in one region: its authorization token (GetAuthorizationToken,
 * 12 hours), cached until shortly before it expires or its role session does, and the control
 * plane calls replication needs (CreateRepository, and the dry-run push check).
 */
import { BatchCheckLayerAvailabilityCommand, CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { CrossdockError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { ProvidedCredentials } from '../../oci/credential-provider.ts';
import type { EcrRepositorySettings, EcrSettings } from '../cloud-registry-options.ts';
import { CloudApiError, GrantMissingError, awsErrorOf, isDenied, isTransient } from '../grant-missing.ts';
import { type RoleRef, type RoleSession, type RoleSessions } from '../sts/role-sessions.ts';

/** Renew a token this long before it expires (never more than half its life). */
export const TOKEN_RENEW_MARGIN_MS = 15 * 60_000;
/** A digest nothing has: the push check asks about it and writes nothing. */
const PROBE_DIGEST = `sha256:${'0'.repeat(64)}`;

export interface EcrAccessOptions {
  settings: EcrSettings;
  /** Base credentials: explicit, or undefined for the SDK's default chain (the Lambda role). */
  credentials: AwsCredentialIdentity | undefined;
  /** Present when `settings.roleArn` is: the sessions of the role to assume. */
  sessions: RoleSessions | undefined;
  /** The session name tasks run under. */
  sessionLabel: string;
  logger: Logger;
  now?: () => number;
}

export class EcrAccess {
  readonly #options: EcrAccessOptions;
  readonly #role: RoleRef | undefined;
  readonly #ecr: ECRClient;
  readonly #now: () => number;
  readonly #logger: Logger;
  #token: { value: Promise<ProvidedCredentials>; renewAt: number } | undefined;
  /** Token requests sent (tests and logs read it). */
  tokensIssued = 0;

  constructor(options: EcrAccessOptions) {
    this.#options = options;
    const { roleArn, externalId } = options.settings;
    this.#role = roleArn ? { roleArn, ...(externalId !== undefined ? { externalId } : {}) } : undefined;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger.child({ region: options.settings.region, ...(roleArn ? { role_arn: roleArn } : {}) });
    const role = this.#role;
    const sessions = options.sessions;
    this.#ecr = this.#client(role && sessions ? async () => toIdentity(await sessions.get(role, options.sessionLabel)) : options.credentials);
  }

  /** `AWS` and the token's password, cached until shortly before the token (or the role session) expires. */
  credentials(): Promise<ProvidedCredentials> {
    if (this.#token && this.#token.renewAt > this.#now()) return this.#token.value;
    const entry = { value: this.#fetchToken(), renewAt: Number.POSITIVE_INFINITY };
    entry.value.then(
      (c) => {
        const expiresAt = c.expiresAt ?? this.#now();
        entry.renewAt = expiresAt - Math.min(TOKEN_RENEW_MARGIN_MS, (expiresAt - this.#now()) / 2);
      },
      () => {
        if (this.#token === entry) this.#token = undefined;
      },
    );
    this.#token = entry;
    return entry.value;
  }

  /** The registry refused the token: fetch a new one, assuming the role again first. */
  invalidate(): void {
    this.#token = undefined;
    if (this.#role) this.#options.sessions?.forget(this.#role);
  }

  async #fetchToken(): Promise<ProvidedCredentials> {
    const session = this.#role && this.#options.sessions ? await this.#options.sessions.get(this.#role, this.#options.sessionLabel) : undefined;
    this.tokensIssued++;
    let answer;
    try {
      answer = await this.#ecr.send(new GetAuthorizationTokenCommand({}));
    } catch (error) {
      throw this.#translate(error, 'ecr:GetAuthorizationToken', 'get an ECR authorization token');
    }
    const data = answer.authorizationData?.[0];
    const decoded = data?.authorizationToken ? Buffer.from(data.authorizationToken, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0 || !data?.expiresAt) throw new CloudApiError(`ECR ${this.#options.settings.region}: GetAuthorizationToken answered without a usable token`, true);
    const expiresAt = Math.min(data.expiresAt.getTime(), session?.expiration ?? Number.POSITIVE_INFINITY);
    this.#logger.info('ecr token issued', { expires_at: new Date(expiresAt).toISOString() });
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), expiresAt };
  }

  /** CreateRepository with the destination's settings; one that exists already is fine. */
  async createRepository(repository: string, settings: EcrRepositorySettings, registryId: string | undefined): Promise<void> {
    const tags = Object.entries(settings.tags).map(([Key, Value]) => ({ Key, Value }));
    try {
      await this.#ecr.send(new CreateRepositoryCommand({
        repositoryName: repository,
        ...(registryId ? { registryId } : {}),
        imageTagMutability: settings.tagMutability,
        imageScanningConfiguration: { scanOnPush: settings.scanOnPush },
        ...(settings.encryption ? { encryptionConfiguration: { encryptionType: settings.encryption.type, ...(settings.encryption.kmsKey ? { kmsKey: settings.encryption.kmsKey } : {}) } } : {}),
        ...(tags.length > 0 ? { tags } : {}),
      }));
      this.#logger.info('repository created', { repository });
    } catch (error) {
      if (awsErrorOf(error).name === 'RepositoryAlreadyExistsException') {
        this.#logger.debug('repository exists', { repository });
        return;
      }
      throw this.#translate(error, `ecr:CreateRepository${tags.length > 0 ? ' and ecr:TagResource' : ''} on ${repository}`, `create repository ${repository} (set createRepository: false if repositories are made beforehand)`);
    }
  }

  /**
   * What stops a push to `repository` right now, checked without writing: the role is assumed
   * afresh (its trust as it is now, under a session naming the requester), a token is issued, and
   * BatchCheckLayerAvailability, a push action, is asked about a digest nothing has. A missing
   * repository passes when crossdock may create it (CreateRepository cannot be tried without
   * creating); that permission is seen at the first push.
   */
  async checkPush(repository: string, requester: string, registryId: string | undefined): Promise<string[]> {
    let ecr = this.#ecr;
    let fresh: ECRClient | undefined;
    try {
      if (this.#role && this.#options.sessions) {
        const session = await this.#options.sessions.assume(this.#role, `crossdock-check-${requester}`);
        ecr = fresh = this.#client(toIdentity(session));
      }
      try {
        await ecr.send(new GetAuthorizationTokenCommand({}));
      } catch (error) {
        throw this.#translate(error, 'ecr:GetAuthorizationToken', 'get an ECR authorization token');
      }
      try {
        await ecr.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: repository, layerDigests: [PROBE_DIGEST], ...(registryId ? { registryId } : {}) }));
      } catch (error) {
        const name = awsErrorOf(error).name;
        if (name === 'RepositoryNotFoundException') {
          if (this.#options.settings.createRepository === false) return [`repository ${repository} does not exist and createRepository is false`];
        } else {
          throw this.#translate(error, `ecr:BatchCheckLayerAvailability (a push action) on ${repository}`, `check push to ${repository}`);
        }
      }
      return [];
    } catch (error) {
      if (error instanceof CrossdockError && !error.retryable) return [error.message];
      throw error;
    } finally {
      fresh?.destroy();
    }
  }

  close(): void {
    this.#ecr.destroy();
  }

  #client(credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined): ECRClient {
    const { region, endpoint } = this.#options.settings;
    return new ECRClient({ region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}), maxAttempts: 2 });
  }

  #translate(error: unknown, permission: string, what: string): CrossdockError {
    const { name, message } = awsErrorOf(error);
    const region = this.#options.settings.region;
    if (isDenied(error) && this.#role) {
      return new GrantMissingError(`role ${this.#role.roleArn} may not ${what} in ${region}: ECR answered ${name}; the destination account's permissions policy must allow ${permission} (README "Replicating into another account")`, error);
    }
    if (isDenied(error)) return new CrossdockError('REGISTRY_AUTH_FAILED', `ECR ${region}: cannot ${what}: ${name} (${message}); allow ${permission}`, { retryable: false, cause: error });
    return new CloudApiError(`ECR ${region}: cannot ${what}: ${name} (${message})`, isTransient(error), error);
  }
}

function toIdentity(session: RoleSession): AwsCredentialIdentity {
  return { accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey, sessionToken: session.sessionToken, expiration: new Date(session.expiration) };
}
