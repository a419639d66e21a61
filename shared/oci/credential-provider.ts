/**
 * The credential port: registries whose credentials are not static (a cloud registry's short-lived
 * token, a credential helper) answer through a provider. The copy engine knows only this port;
 * the cloud adapters (shared/cloud/) implement it, and the wiring hands them to the pool.
 */
import type { CallOptions } from './client.ts';
import type { RegistryOptions } from './registry-options.ts';

/** What a provider answers: static-looking credentials, valid until `expiresAt` (epoch ms) if known. */
export interface ProvidedCredentials extends Pick<RegistryOptions, 'username' | 'password' | 'identityToken'> {
  expiresAt?: number;
}

export interface CredentialProvider {
  /** Credentials for the registry; the provider caches them until shortly before they expire. */
  credentials(options?: CallOptions): Promise<ProvidedCredentials>;
  /** The registry refused what `credentials` gave: the next call fetches afresh. */
  invalidate?(): void;
  /**
   * Called once per repository before the first request that may push to it: a registry that
   * refuses pushes to a missing repository (ECR) creates it here. Idempotent.
   */
  ensureRepository?(repository: string, options?: CallOptions): Promise<void>;
  /**
   * Whether pushing to `repository` is granted right now, checked without writing anything;
   * `requester` names who asks (a rule, a request) in the provider's audit trail. Problems, or [].
   */
  checkPush?(repository: string, requester: string): Promise<string[]>;
}

/** Picks the provider for a registry (and repository, for per-namespace settings), or none. */
export interface CredentialProviders {
  (registry: string, options: RegistryOptions): CredentialProvider | undefined;
  /** Releases the providers' own clients; the pool calls it when it closes. */
  close?(): Promise<void>;
}
