/** `crossdock copy SRC DST`: one image now, with the copy result as a line or as JSON. */
import { readProcessConfig } from '../../shared/config.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { loadDockerConfig } from '../../shared/oci/docker-config.ts';
import { parsePlatforms } from '../../shared/oci/platform-filter.ts';
import { parseReference } from '../../shared/oci/reference.ts';
import { RegistryDirectory } from '../../shared/oci/registry-options.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { loadSyncConfig } from '../../shared/sync/config.ts';
import type { ParsedFlags } from './flags.ts';
import { createCliLog } from './output.ts';
import { formatBytes, formatDuration } from './progress.ts';

export const COPY_FLAGS = {
  platform: { type: 'string', multiple: true },
  overwrite: { type: 'boolean' },
  'no-referrers': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  auth: { type: 'string' },
  insecure: { type: 'boolean' },
  'docker-config': { type: 'string' },
  log: { type: 'string' },
} as const;

export async function copyCommand(flags: ParsedFlags<typeof COPY_FLAGS>, positionals: string[]): Promise<number> {
  if (positionals.length !== 2) throw new InvalidInputError('INVALID_FLAG', `copy takes SOURCE and DESTINATION, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  const source = parseReference(positionals[0]!);
  const destination = parseReference(positionals[1]!);
  if (source.tag === undefined && source.digest === undefined) source.tag = 'latest';
  const platforms = flags.platform?.length ? parsePlatforms(flags.platform) : undefined;
  const env = readProcessConfig();
  const directory = new RegistryDirectory();
  if (flags.auth) {
    // The same auth file image-syncer's --auth reads.
    const config = await loadSyncConfig({ auth: flags.auth, images: undefined }, { env: env.env }).catch((error: unknown) => {
      if (error instanceof InvalidInputError && error.problems.every((p) => p.endsWith('no images to sync'))) return undefined;
      throw error;
    });
    for (const [key, value] of Object.entries(config?.auth ?? {})) directory.set(key, value);
  }
  if (flags.insecure) for (const ref of [source, destination]) directory.set(ref.registry, { ...directory.resolve(ref.registry), insecure: true });
  directory.fill(await loadDockerConfig(flags['docker-config'] ?? env.dockerConfigPath));

  const log = createCliLog({ ...(flags.log ? { file: flags.log } : {}), ...(env.logLevel ? { level: env.logLevel } : {}) });
  const engine = new CopyEngine({ pool: new RegistryPool({ directory, logger: log.logger }), logger: log.logger });
  try {
    const result = await engine.copyImage(source, destination, {
      overwrite: flags.overwrite === true,
      referrers: !flags['no-referrers'],
      dryRun: flags['dry-run'] === true,
      ...(platforms ? { platforms } : {}),
    });
    if (flags.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      const blobs = `${result.blobs.copied + result.blobs.planned} blobs ${result.status === 'planned' ? 'to copy' : 'copied'}, ${result.blobs.mounted} mounted, ${result.blobs.skipped} present`;
      process.stdout.write(`${result.status} ${result.source} → ${result.destination} ${result.digest}: ${formatBytes(result.bytes)}, ${blobs}, ${result.referrers.found} referrers, ${formatDuration(result.durationMs / 1000)}${result.reason ? `\n  ${result.reason}` : ''}\n`);
    }
    return 0;
  } finally {
    await engine.close();
    await log.close();
  }
}
