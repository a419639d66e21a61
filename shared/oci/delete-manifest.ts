/**
 * `DELETE /v2/<name>/manifests/<reference>` (OCI distribution spec, "Deleting tags" and "Deleting
 * manifests"). Deleting by digest is the spec's way; deleting a tag alone is optional: a registry
 * that does not support it answers 400 or 405 (distribution 2.8, Debian's docker-registry, answers
 * 405 UNSUPPORTED for a tag), which this reports as `unsupported` rather than failing.
 */
import type { CallOptions, RegistryClient } from './client.ts';
import { isDigest } from './reference.ts';

/** Token scope with the `delete` action (distribution's token spec; Harbor and ECR map it to their own permission). */
export const deleteScope = (repository: string): string => `repository:${repository}:delete`;

export type DeleteOutcome = 'deleted' | 'absent' | 'unsupported';

export async function deleteManifest(client: RegistryClient, repository: string, reference: string, options: CallOptions = {}): Promise<DeleteOutcome> {
  const res = await client.send({
    ...options,
    method: 'DELETE',
    path: `/v2/${repository}/manifests/${reference}`,
    scopes: [deleteScope(repository)],
    expect: [200, 202, 204, 404, 400, 405],
    what: `DELETE manifest ${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`,
  });
  await res.body.dump();
  if (res.status === 404) return 'absent';
  if (res.status === 400 || res.status === 405) return 'unsupported';
  return 'deleted';
}
