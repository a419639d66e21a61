/**
 * Where the CLI finds credentials, most important first (README "Credentials"):
 *   1. the `--auth` file (image-syncer's auth file, or the sync config's `auth`), already in `directory`;
 *   2. static `auths` of the Docker config (`--docker-config`, `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`);
 *   3. static `auths` of the containers auth.json (`REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`);
 *   4. for a registry none of those gives credentials: a credential helper, `credHelpers[host]` of
 *      the Docker config, then of auth.json, then the Docker config's `credsStore`, then auth.json's.
 */
import type { Logger } from '../../shared/log.ts';
import { credentialHelpers, type RunHelper } from '../../shared/oci/credential-helper.ts';
import type { CredentialProviders } from '../../shared/oci/credential-provider.ts';
import { loadCredentialFile } from '../../shared/oci/docker-config.ts';
import type { RegistryDirectory } from '../../shared/oci/registry-directory.ts';

export async function loadLocalCredentials(
  directory: RegistryDirectory,
  paths: { dockerConfig: string; containersAuth: string | undefined },
  options: { logger?: Logger; run?: RunHelper } = {},
): Promise<CredentialProviders> {
  const docker = await loadCredentialFile(paths.dockerConfig);
  const containers = paths.containersAuth ? await loadCredentialFile(paths.containersAuth) : undefined;
  directory.fill(docker.entries);
  if (containers) directory.fill(containers.entries);
  return credentialHelpers([docker.helpers, ...(containers ? [containers.helpers] : [])], options);
}
