/** `crossdock sync`: image-syncer's config, flags and exit status, plus dry runs and JSON output. */
import { readProcessConfig } from '../../shared/config.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { loadDockerConfig } from '../../shared/oci/docker-config.ts';
import { parsePlatforms, type PlatformSpec } from '../../shared/oci/platform-filter.ts';
import { RegistryDirectory } from '../../shared/oci/registry-options.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { loadSyncConfig } from '../../shared/sync/config.ts';
import { planSync } from '../../shared/sync/plan.ts';
import { runSync, type SyncSummary } from '../../shared/sync/run.ts';
import { positiveInt, type ParsedFlags } from './flags.ts';
import { createCliLog } from './output.ts';
import { createProgress, formatBytes, formatDuration, type Progress } from './progress.ts';

export const SYNC_FLAGS = {
  config: { type: 'string' },
  auth: { type: 'string' },
  images: { type: 'string' },
  proc: { type: 'string' },
  retries: { type: 'string' },
  namespace: { type: 'string' },
  registry: { type: 'string' },
  log: { type: 'string' },
  os: { type: 'string', multiple: true },
  arch: { type: 'string', multiple: true },
  platform: { type: 'string', multiple: true },
  'no-overwrite': { type: 'boolean' },
  'no-referrers': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  'docker-config': { type: 'string' },
  'blob-concurrency': { type: 'string' },
} as const;

export const DEFAULT_PROC = 5;
export const DEFAULT_RETRIES = 2;

export async function syncCommand(flags: ParsedFlags<typeof SYNC_FLAGS>): Promise<number> {
  const env = readProcessConfig();
  const proc = positiveInt(flags.proc, '--proc') ?? DEFAULT_PROC;
  const retries = flags.retries === undefined ? DEFAULT_RETRIES : positiveInt(flags.retries, '--retries', true)!;
  const blobConcurrency = positiveInt(flags['blob-concurrency'], '--blob-concurrency') ?? Math.max(8, proc * 2);
  const platforms = platformsFrom(flags);
  const config = await loadSyncConfig(
    { ...(flags.config ? { config: flags.config } : {}), ...(flags.auth ? { auth: flags.auth } : {}), ...(flags.images ? { images: flags.images } : {}) },
    { registry: flags.registry ?? env.defaultRegistry, namespace: flags.namespace ?? env.defaultNamespace, env: env.env },
  );

  let progress: Progress | undefined;
  const log = createCliLog({ ...(flags.log ? { file: flags.log } : {}), ...(env.logLevel ? { level: env.logLevel } : {}), progress: () => progress });
  const directory = new RegistryDirectory(config.auth);
  directory.fill(await loadDockerConfig(flags['docker-config'] ?? env.dockerConfigPath));
  const pool = new RegistryPool({ directory, logger: log.logger });
  const engine = new CopyEngine({ pool, blobConcurrency, logger: log.logger });
  progress = createProgress(process.stderr, process.stderr.isTTY === true && !flags.json);

  try {
    const plan = await planSync(config, pool, proc);
    progress.total(plan.items.length);
    const summary = await runSync(plan, engine, {
      proc,
      retries,
      overwrite: !flags['no-overwrite'],
      referrers: !flags['no-referrers'],
      dryRun: flags['dry-run'] === true,
      ...(platforms ? { platforms } : {}),
      onBytes: (n) => progress?.bytes(n),
      onOutcome: (o) => {
        progress?.outcome(o);
        if (!o.ok) log.logger[o.final ? 'error' : 'warn'](o.final ? 'image failed' : 'image will be retried', { source: o.source, destination: o.destination, code: o.error.code, error: o.error.message, attempt: o.attempts });
      },
    });
    progress.stop();
    if (flags.json) process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    else process.stdout.write(describe(summary, flags['dry-run'] === true));
    return summary.failed > 0 ? 1 : 0;
  } finally {
    progress.stop();
    await engine.close();
    await log.close();
  }
}

function platformsFrom(flags: ParsedFlags<typeof SYNC_FLAGS>): PlatformSpec[] | undefined {
  if (flags.platform?.length) return parsePlatforms(flags.platform);
  if (!flags.os?.length && !flags.arch?.length) return undefined;
  // image-syncer's --os/--arch lists: every combination of the two.
  const oses = flags.os?.flatMap((o) => o.split(',')) ?? [];
  const arches = flags.arch?.flatMap((a) => a.split(',')) ?? [];
  if (oses.length === 0 || arches.length === 0) throw new InvalidInputError('INVALID_FLAG', '--os and --arch go together (e.g. --os linux --arch amd64,arm64)');
  return parsePlatforms(oses.flatMap((o) => arches.map((a) => `${o}/${a}`)));
}

function describe(s: SyncSummary, dryRun: boolean): string {
  const seconds = s.durationMs / 1000;
  const lines: string[] = [];
  if (dryRun) {
    lines.push(`dry run: ${s.images} images: ${s.planned} to copy (${formatBytes(s.bytes)} in ${s.blobs.copied + s.results.reduce((n, r) => n + r.blobs.planned, 0)} blobs), ${s.upToDate} up to date, ${s.skipped} would be skipped, ${s.failed} failed`);
  } else {
    lines.push(`synced ${s.images} images in ${formatDuration(seconds)}: ${s.copied} copied, ${s.upToDate} up to date, ${s.skipped} skipped, ${s.failed} failed; ${formatBytes(s.bytes)} (${formatBytes(s.bytes / Math.max(seconds, 0.001))}/s), blobs ${s.blobs.copied} copied, ${s.blobs.mounted} mounted, ${s.blobs.skipped} present`);
  }
  for (const r of s.results.filter((r) => r.status === 'skipped')) lines.push(`skipped ${r.source} → ${r.destination}: ${r.reason}`);
  for (const f of s.failures) lines.push(`FAILED ${f.source} → ${f.destination}: [${f.code}] ${f.message}`);
  return lines.join('\n') + '\n';
}
