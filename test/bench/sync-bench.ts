/**
 * `crossdock sync` held against `skopeo sync` on the same workloads, in the same run, between fresh
 * loopback Distribution registries (the lab in test/bench/lab; nothing outside the repository).
 *
 *   npm run bench                                  small, large and multiarch, 3 rounds each
 *   npm run bench -- small --rounds 5
 *   npm run bench -- large --rounds 2 --large-mib 2048
 *
 * Per workload: one source registry seeded with the workload's deterministic bytes; then ROUNDS
 * rounds, each running skopeo and crossdock (alternating which goes first, so drift in the shared
 * machine's load falls on both) into a destination registry started empty for that run. Every copy
 * is verified (crossdock's with its signature and attestation tags); runs are timed wall-clock and
 * their peak RSS sampled. Each round also times `npm run crossdock -- help` (crossdock_help_s), the
 * share of a crossdock run that is npm and Node start-up rather than copying. Progress goes to stderr; stdout gets ONE JSON line for the whole run.
 * Exit 0 when every copy succeeded and verified, 1 otherwise, 2 on a bad command line.
 * Needs docker-registry and skopeo on PATH (`.ci/run` installs both).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeRegistryClients } from '../support/registry-client.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { copierEnvironment, prepareCopy, type Copier } from './lab/copiers.ts';
import { runMeasured } from './lab/measure.ts';
import { BenchUsageError, parseBenchArgs, type BenchOptions } from './lab/options.ts';
import { verifyCopy, type VerifyReport } from './lab/verify.ts';
import { benchWorkload, seedWorkload, type SeededWorkload, type WorkloadName } from './lab/workloads.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MIB = 1 << 20;
const note = (message: string) => process.stderr.write(`bench: ${message}\n`);

type Run = { seconds: number; peakRssMib: number; rebuilt: boolean; ok: boolean; verify: VerifyReport | undefined; failure?: string };

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const round1 = (n: number) => Math.round(n * 10) / 10;
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

let options: BenchOptions;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof BenchUsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n`);
  process.exit(2);
}

const registries = new Set<TestRegistry>();
async function withRegistry<T>(name: string, use: (reg: TestRegistry) => Promise<T>): Promise<T> {
  const reg = await startRegistry({ name });
  registries.add(reg);
  try {
    return await use(reg);
  } finally {
    registries.delete(reg);
    await reg.close();
  }
}
// Ctrl-C: stop the registries and remove their storage before going (registry.ts kills leftovers on exit).
process.once('SIGINT', () => {
  void Promise.all([...registries].map((r) => r.close())).finally(() => process.exit(130));
});

const dir = await mkdtemp(join(tmpdir(), 'crossdock-bench-'));
const env = copierEnvironment(process.env);

async function copyOnce(copier: Copier, workload: SeededWorkload, source: TestRegistry, round: number): Promise<Run> {
  return withRegistry(`bench-${copier}`, async (destination) => {
    const prepared = await prepareCopy(copier, workload, source, destination, dir);
    const logFile = join(dir, `${workload.name}-${round}-${copier}.log`);
    const measured = await runMeasured(prepared.command, prepared.args, { cwd: ROOT, env, logFile });
    const run: Run = { seconds: measured.seconds, peakRssMib: measured.peakRssMib, rebuilt: measured.buildPeakRssMib !== undefined, ok: measured.exitCode === 0, verify: undefined };
    // The sources changed since the bundle was built (an edit or checkout during the benchmark):
    // this run's time includes the build; esbuild's memory is not counted as the copy's.
    if (run.rebuilt) note(`round ${round} ${copier}: rebuilt the CLI bundle first (esbuild peak ${measured.buildPeakRssMib!.toFixed(0)} MiB, not counted)`);
    if (!run.ok) {
      const tail = (await readFile(logFile, 'utf8')).trim().split('\n').slice(-3).join(' | ');
      run.failure = `${copier} exited ${measured.exitCode ?? measured.signal}: ${tail}`;
      note(`round ${round} ${run.failure}`);
      return run;
    }
    run.verify = await verifyCopy(source, destination, prepared.mappings);
    run.ok = run.verify.ok;
    note(`round ${round} ${copier}: ${run.seconds.toFixed(2)} s, peak RSS ${run.peakRssMib.toFixed(0)} MiB, verify ${run.verify.ok ? 'ok' : run.verify.problems.join('; ')}`);
    return run;
  });
}

/** `npm run crossdock -- help` the way the copy runs: what npm and Node start-up cost, without copying. */
async function measureStartup(name: WorkloadName, round: number): Promise<number> {
  const logFile = join(dir, `${name}-${round}-help.log`);
  const measured = await runMeasured('npm', ['run', '-s', 'crossdock', '--', 'help'], { cwd: ROOT, env, logFile });
  if (measured.exitCode !== 0) throw new Error(`npm run crossdock -- help exited ${measured.exitCode ?? measured.signal}; see the CLI`);
  note(`round ${round} crossdock help (start-up only): ${measured.seconds.toFixed(2)} s`);
  return measured.seconds;
}

async function benchWorkloadRounds(name: WorkloadName) {
  return withRegistry('bench-source', async (source) => {
    const seedStarted = performance.now();
    const workload = await seedWorkload(source, benchWorkload(name, { largeMib: options.largeMib }));
    note(`${name}: seeded ${workload.images} images, ${workload.repositories.length} repositories, ${(workload.distinctBytes / MIB).toFixed(1)} MiB (${(workload.bytes / MIB).toFixed(1)} MiB over its repositories) in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    const rounds: Array<Record<Copier, Run>> = [];
    const startups: number[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const order: Copier[] = round % 2 === 1 ? ['skopeo', 'crossdock'] : ['crossdock', 'skopeo'];
      const runs = {} as Record<Copier, Run>;
      for (const copier of order) runs[copier] = await copyOnce(copier, workload, source, round);
      rounds.push(runs);
      startups.push(await measureStartup(workload.name, round));
    }
    const times = (copier: Copier) => rounds.filter((r) => r[copier].ok).map((r) => r[copier].seconds);
    const ratios = rounds.filter((r) => r.skopeo.ok && r.crossdock.ok).map((r) => r.crossdock.seconds / r.skopeo.seconds);
    const verifies = rounds.flatMap((r) => (r.crossdock.verify ? [r.crossdock.verify] : []));
    const failedVerify = verifies.find((v) => !v.ok);
    const lastVerify = failedVerify ?? verifies.at(-1);
    const skopeoMedian = median(times('skopeo'));
    const crossdockMedian = median(times('crossdock'));
    const ratioMedian = median(ratios);
    return {
      images: workload.images,
      repositories: workload.repositories.length,
      blobs: workload.blobs,
      mib: round1(workload.distinctBytes / MIB),
      repository_mib: round1(workload.bytes / MIB),
      skopeo_s: skopeoMedian === null ? null : round3(skopeoMedian),
      crossdock_s: crossdockMedian === null ? null : round3(crossdockMedian),
      ratio_median: ratioMedian === null ? null : round3(ratioMedian),
      ratio_rounds: ratios.map(round3),
      skopeo_rounds_s: rounds.map((r) => (r.skopeo.ok ? round3(r.skopeo.seconds) : null)),
      crossdock_rounds_s: rounds.map((r) => (r.crossdock.ok ? round3(r.crossdock.seconds) : null)),
      crossdock_help_s: round3(median(startups)!),
      crossdock_peak_rss_mib: round1(Math.max(...rounds.map((r) => r.crossdock.peakRssMib))),
      skopeo_peak_rss_mib: round1(Math.max(...rounds.map((r) => r.skopeo.peakRssMib))),
      // Rounds whose crossdock run had to rebuild the bundle (their time includes the build).
      crossdock_rebuilt_rounds: rounds.filter((r) => r.crossdock.rebuilt).length,
      verify: {
        ok: verifies.length === rounds.length && !failedVerify,
        rounds_verified: verifies.length,
        ...(lastVerify ? { tags: lastVerify.tags, manifests: lastVerify.manifests, blobs: lastVerify.blobs, mib: round1(lastVerify.bytes / MIB), problems: lastVerify.problems } : {}),
      },
      skopeo_verify_ok: rounds.every((r) => r.skopeo.verify?.ok === true),
      failures: rounds.flatMap((r) => [r.skopeo.failure, r.crossdock.failure].filter((f): f is string => f !== undefined)),
    };
  });
}

let exitCode = 0;
try {
  // Build the CLI bundle now, so that no timed run pays for it.
  const built = spawnSync(process.execPath, [join(ROOT, 'infra/bin/crossdock.mjs'), 'help'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error(`crossdock help exited ${built.status ?? built.signal}: the CLI does not build`);
  const load = round1(loadavg()[0] ?? 0);
  const workloads: Record<string, Awaited<ReturnType<typeof benchWorkloadRounds>>> = {};
  for (const name of options.workloads) workloads[name] = await benchWorkloadRounds(name);
  const ok = Object.values(workloads).every((w) => w.verify.ok && w.skopeo_verify_ok && w.failures.length === 0);
  if (!ok) exitCode = 1;
  const line = { bench: 'sync', rounds: options.rounds, large_mib: options.largeMib, cores: cpus().length, load_1m_at_start: load, workloads, ok };
  process.stdout.write(`${JSON.stringify(line)}\n`);
} finally {
  await closeRegistryClients();
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = exitCode;
