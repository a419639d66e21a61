/**
 * Sessions of roles in other accounts (AssumeRole), cached per role, external id and session name
 * until shortly before they expire. A refusal means the destination has not granted (or has
 * withdrawn) the trust: GRANT_MISSING, never retried.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { Logger } from '../../log.ts';
import { CloudApiError, GrantMissingError, awsErrorOf, isDenied, isTransient } from '../grant-missing.ts';

export interface RoleRef {
  roleArn: string;
  externalId?: string;
}

export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiration: number;
}

/** Renew this long before a session expires, so no request starts with one about to lapse. */
export const SESSION_RENEW_MARGIN_MS = 5 * 60_000;
export const SESSION_DURATION_S = 3600;

/** Session names allow `[\w+=,.@-]`, 2 to 64 characters. */
export function sessionName(label: string): string {
  const cleaned = label.replace(/[^\w+=,.@-]+/g, '-').slice(0, 64);
  return cleaned.length >= 2 ? cleaned : 'crossdock';
}

export class RoleSessions {
  readonly #sts: STSClient;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #cache = new Map<string, { session: Promise<RoleSession>; expiration: number }>();

  constructor(sts: STSClient, options: { now?: () => number; logger: Logger }) {
    this.#sts = sts;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
  }

  /** The cached session for a role, assumed again when missing or about to expire. */
  get(role: RoleRef, name: string): Promise<RoleSession> {
    const key = `${role.roleArn}\u0000${role.externalId ?? ''}\u0000${name}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expiration - SESSION_RENEW_MARGIN_MS > this.#now()) return cached.session;
    const entry = { session: this.assume(role, name), expiration: Number.POSITIVE_INFINITY };
    entry.session.then(
      (session) => (entry.expiration = session.expiration),
      () => this.#cache.delete(key),
    );
    this.#cache.set(key, entry);
    return entry.session;
  }

  /** Forget every cached session of a role (the registry refused what it allowed). */
  forget(role: RoleRef): void {
    for (const key of this.#cache.keys()) if (key.startsWith(`${role.roleArn}\u0000${role.externalId ?? ''}\u0000`)) this.#cache.delete(key);
  }

  /** A fresh session, never cached: what a grant check needs to see the grant as it is now. */
  async assume(role: RoleRef, name: string): Promise<RoleSession> {
    let answer;
    try {
      answer = await this.#sts.send(new AssumeRoleCommand({
        RoleArn: role.roleArn,
        RoleSessionName: sessionName(name),
        DurationSeconds: SESSION_DURATION_S,
        ...(role.externalId !== undefined ? { ExternalId: role.externalId } : {}),
      }));
    } catch (error) {
      const { name: code, message } = awsErrorOf(error);
      if (isDenied(error)) {
        this.#logger.warn('role refused', { role_arn: role.roleArn, code });
        throw new GrantMissingError(`role ${role.roleArn} cannot be assumed${role.externalId !== undefined ? ' with the configured external id' : ''}: STS answered ${code} (${message}); the destination account must trust this deployment's worker role (README "Replicating into another account")`, error);
      }
      throw new CloudApiError(`assume role ${role.roleArn}: STS answered ${code} (${message})`, isTransient(error), error);
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new CloudApiError(`assume role ${role.roleArn}: STS answered without credentials`, true);
    }
    this.#logger.info('role assumed', { role_arn: role.roleArn, session: sessionName(name), expires_at: c.Expiration.toISOString() });
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration.getTime() };
  }
}
