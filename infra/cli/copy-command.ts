/** `crossdock copy SRC DST`: one image now, with the copy result as a line or as JSON. */
import { readProcessConfig } from '../../shared/config.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { parsePlatforms } from '../../shared/oci/platform-filter.ts';
import { parseReference } from '../../shared/oci/reference.ts';
import { RegistryDirectory } from '../../shared/oci/registry-directory.ts';
import { loadLocalCredentials } from './credentials.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { loadAuthFile } from '../../shared/sync/config.ts';
import { createCopyProgress, imageSize } from './copy-progress.ts';
import type { ParsedFlags } from './flags.ts';
import { createCliLog } from './output.ts';
import { formatBytes, formatDuration } from './progress.ts';

export const COPY_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  platform: { type: 'string', multiple: true },
  overwrite: { type: 'boolean' },
  'no-overwrite': { type: 'boolean' },
  'no-referrers': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  auth: { type: 'string' },
  insecure: { type: 'boolean' },
  'docker-config': { type: 'string' },
  log: { type: 'string' },
} as const;

export const COPY_USAGE = `usage: crossdock copy SOURCE DESTINATION [flags]

Copies one image now. References are registry/repository[:tag][@digest]; a docker:// prefix is dropped.

      --platform os/arch[/variant],...  keep only these platforms of a multi-platform image
      --no-overwrite       keep a different image already at the destination tag (reported as skipped)
      --no-referrers       leave signatures and attestations behind
      --dry-run            report what would be copied; write nothing
      --json               print the full copy result as JSON
      --auth FILE          an image-syncer auth file (credentials, insecure)
      --insecure           plain HTTP or an unverified certificate for both registries
      --docker-config FILE Docker config.json for credentials
      --log FILE           structured JSON logs to FILE
  -h, --help               this text
`;

const TRANSPORT = /^docker:\/\//;

export async function copyCommand(flags: ParsedFlags<typeof COPY_FLAGS>, positionals: string[]): Promise<number> {
  if (positionals.length !== 2) throw new InvalidInputError('FLAG_INVALID', `copy takes SOURCE and DESTINATION, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
  if (flags.overwrite && flags['no-overwrite']) throw new InvalidInputError('FLAG_INVALID', '--overwrite and --no-overwrite contradict each other');
  const source = parseReference(positionals[0]!.replace(TRANSPORT, ''));
  const destination = parseReference(positionals[1]!.replace(TRANSPORT, ''));
  if (source.tag === undefined && source.digest === undefined) source.tag = 'latest';
  const platforms = flags.platform?.length ? parsePlatforms(flags.platform) : undefined;
  const env = readProcessConfig();
  const directory = new RegistryDirectory(flags.auth ? await loadAuthFile(flags.auth, env.env) : {});
  if (flags.insecure) for (const ref of [source, destination]) directory.set(ref.registry, { ...directory.resolve(ref.registry), insecure: true });
  const credentials = await loadLocalCredentials(directory, { dockerConfig: flags['docker-config'] ?? env.dockerConfigPath, containersAuth: env.containersAuthPath });

  const live = process.stderr.isTTY === true && !flags.json;
  let progress: ReturnType<typeof createCopyProgress> | undefined;
  const log = createCliLog({ ...(flags.log ? { file: flags.log } : {}), ...(env.logLevel ? { level: env.logLevel } : {}), progress: () => progress });
  const pool = new RegistryPool({ directory, logger: log.logger, credentials });
  const engine = new CopyEngine({ pool, logger: log.logger });
  try {
    // On a terminal the total is worth one more manifest read; in a log it is not.
    const total = live && !flags['dry-run'] ? await imageSize(pool, source, platforms).catch(() => undefined) : undefined;
    progress = createCopyProgress(process.stderr, { live, ...(total !== undefined ? { total } : {}) });
    const result = await engine.copyImage(source, destination, {
      // A mirror follows its source: a different image at the destination tag is replaced.
      overwrite: !flags['no-overwrite'],
      referrers: !flags['no-referrers'],
      dryRun: flags['dry-run'] === true,
      onBytes: (n) => progress?.bytes(n),
      onBlob: (event) => progress?.blob(event),
      ...(platforms ? { platforms } : {}),
    });
    progress.stop();
    if (flags.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      const blobs = `${result.blobs.copied + result.blobs.planned} blobs ${result.status === 'planned' ? 'to copy' : 'copied'}, ${result.blobs.mounted} mounted, ${result.blobs.skipped} present`;
      process.stdout.write(`${result.status} ${result.source} → ${result.destination} ${result.digest}: ${formatBytes(result.bytes)}, ${blobs}, ${result.referrers.found} referrers, ${formatDuration(result.durationMs / 1000)}${result.reason ? `\n  ${result.reason}` : ''}\n`);
    }
    return 0;
  } finally {
    progress?.stop();
    await engine.close();
    await log.close();
  }
}
