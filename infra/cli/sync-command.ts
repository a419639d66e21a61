/** `crossdock sync`: image-syncer's config, flags and exit status, plus dry runs and JSON output. */
import { readProcessConfig } from '../../shared/config.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { RegistryDirectory } from '../../shared/oci/registry-directory.ts';
import { loadLocalCredentials } from './credentials.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { loadSyncConfig } from '../../shared/sync/config.ts';
import { planSync } from '../../shared/sync/plan.ts';
import { runSync, type SyncSummary } from '../../shared/sync/run.ts';
import { positiveInt, type ParsedFlags } from './flags.ts';
import { createCliLog } from './output.ts';
import { platformsFromFlags } from './platform-flags.ts';
import { createProgress, formatBytes, formatDuration, type Progress } from './progress.ts';
import { parseImagesFormat, writeSuccessImages } from './success-images.ts';

export const SYNC_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  auth: { type: 'string' },
  images: { type: 'string' },
  proc: { type: 'string', short: 'p' },
  retries: { type: 'string', short: 'r' },
  namespace: { type: 'string' },
  registry: { type: 'string' },
  log: { type: 'string' },
  os: { type: 'string', multiple: true },
  arch: { type: 'string', multiple: true },
  platform: { type: 'string', multiple: true },
  force: { type: 'boolean' },
  'no-overwrite': { type: 'boolean' },
  'no-referrers': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  'output-success-images': { type: 'string' },
  'output-images-format': { type: 'string' },
  'docker-config': { type: 'string' },
  'blob-concurrency': { type: 'string' },
} as const;

export const SYNC_USAGE = `usage: crossdock sync --config FILE | --auth FILE --images FILE [flags]

Copies every image an image-syncer config names.

  -p, --proc N                   images copied at once (default 5)
  -r, --retries N                extra rounds for what failed with a retryable error, tag listing included (default 2)
      --registry R --namespace NS  where an empty destination goes (also DEFAULT_REGISTRY, DEFAULT_NAMESPACE)
      --platform os/arch[/variant],...  keep only these platforms of multi-platform images
      --os LIST, --arch LIST     image-syncer's filters, each on its own; arch may be arch:variant
      --force                    image-syncer's flag: replace what differs (the default already)
      --no-overwrite             keep a different image already at a destination tag (reported as skipped)
      --no-referrers             leave signatures and attestations behind
      --dry-run                  report what would be copied; write nothing
      --json                     print the summary as JSON
      --output-success-images FILE  write the images now at their destinations, source → destinations
      --output-images-format yaml|json  that file's format (default yaml)
      --log FILE                 structured JSON logs to FILE
      --docker-config FILE       Docker config.json for credentials not in the config
      --blob-concurrency N       blob transfers in flight across all images (default max(8, 2 × proc))
  -h, --help                     this text

Exit status: 0 all copied, up to date or skipped; 1 some image failed; 2 bad input; 130 interrupted.
`;

export const DEFAULT_PROC = 5;
export const DEFAULT_RETRIES = 2;
/** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export async function syncCommand(flags: ParsedFlags<typeof SYNC_FLAGS>): Promise<number> {
  const env = readProcessConfig();
  const proc = positiveInt(flags.proc, '--proc') ?? DEFAULT_PROC;
  const retries = flags.retries === undefined ? DEFAULT_RETRIES : positiveInt(flags.retries, '--retries', true)!;
  const blobConcurrency = positiveInt(flags['blob-concurrency'], '--blob-concurrency') ?? Math.max(8, proc * 2);
  const platforms = platformsFromFlags(flags);
  if (flags.force && flags['no-overwrite']) throw new InvalidInputError('FLAG_INVALID', '--force and --no-overwrite contradict each other');
  const imagesFormat = parseImagesFormat(flags['output-images-format']);
  const config = await loadSyncConfig(
    { ...(flags.config ? { config: flags.config } : {}), ...(flags.auth ? { auth: flags.auth } : {}), ...(flags.images ? { images: flags.images } : {}) },
    { registry: flags.registry ?? env.defaultRegistry, namespace: flags.namespace ?? env.defaultNamespace, env: env.env },
  );

  let progress: Progress | undefined;
  const log = createCliLog({ ...(flags.log ? { file: flags.log } : {}), ...(env.logLevel ? { level: env.logLevel } : {}), progress: () => progress });
  const directory = new RegistryDirectory(config.auth);
  const credentials = await loadLocalCredentials(directory, { dockerConfig: flags['docker-config'] ?? env.dockerConfigPath, containersAuth: env.containersAuthPath });
  const pool = new RegistryPool({ directory, logger: log.logger, credentials });
  const engine = new CopyEngine({ pool, blobConcurrency, logger: log.logger });
  progress = createProgress(process.stderr, process.stderr.isTTY === true && !flags.json);
  const interrupt = new AbortController();
  const onSignal = () => {
    // A second Ctrl-C does not wait for the summary.
    if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
    interrupt.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onSignal);

  try {
    const plan = await planSync(config, pool, proc, {
      retries,
      signal: interrupt.signal,
      onRetry: (f) => log.logger.warn('tag listing will be retried', { source: f.rule.key, code: f.error.code, error: f.error.message, attempt: f.attempts }),
    });
    if (interrupt.signal.aborted) {
      // Listing failures now are the interruption, not the registries' doing: nothing was copied.
      progress.stop();
      process.stdout.write(`interrupted while listing tags: nothing copied\n`);
      return EXIT_INTERRUPTED;
    }
    progress.total(plan.items.length);
    const summary = await runSync(plan, engine, {
      proc,
      retries,
      overwrite: !flags['no-overwrite'],
      referrers: !flags['no-referrers'],
      dryRun: flags['dry-run'] === true,
      signal: interrupt.signal,
      ...(platforms ? { platforms } : {}),
      onBytes: (n) => progress?.bytes(n),
      onOutcome: (o) => {
        progress?.outcome(o);
        if (!o.ok) log.logger[o.final ? 'error' : 'warn'](o.final ? 'image failed' : 'image will be retried', { source: o.source, destination: o.destination, code: o.error.code, error: o.error.message, attempt: o.attempts });
      },
    });
    progress.stop();
    if (flags['output-success-images']) await writeSuccessImages(flags['output-success-images'], imagesFormat, summary.results);
    if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else process.stdout.write(describe(summary, flags['dry-run'] === true));
    if (summary.interrupted) return EXIT_INTERRUPTED;
    return summary.failed > 0 ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    progress.stop();
    await engine.close();
    await log.close();
  }
}

function describe(s: SyncSummary, dryRun: boolean): string {
  const seconds = s.durationMs / 1000;
  const lines: string[] = [];
  if (s.interrupted) lines.push(`interrupted: ${s.images - s.unfinished} of ${s.images} images finished, ${s.unfinished} not done`);
  if (dryRun) {
    lines.push(`dry run: ${s.images} images: ${s.planned} to copy (${formatBytes(s.bytes)} in ${s.blobs.copied + s.results.reduce((n, r) => n + r.blobs.planned, 0)} blobs), ${s.upToDate} up to date, ${s.skipped} would be skipped, ${s.failed} failed`);
  } else {
    lines.push(`synced ${s.images} images in ${formatDuration(seconds)}: ${s.copied} copied, ${s.upToDate} up to date, ${s.skipped} skipped, ${s.failed} failed; ${formatBytes(s.bytes)} (${formatBytes(s.bytes / Math.max(seconds, 0.001))}/s), blobs ${s.blobs.copied} copied, ${s.blobs.mounted} mounted, ${s.blobs.skipped} present`);
  }
  for (const r of s.results.filter((r) => r.status === 'skipped')) lines.push(`skipped ${r.source} → ${r.destination}: ${r.reason}`);
  for (const f of s.failures) lines.push(`FAILED ${f.source} → ${f.destination}: [${f.code}] ${f.message}`);
  return lines.join('\n') + '\n';
}
