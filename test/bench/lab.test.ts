import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { getManifest, pushImage } from '../support/images.ts';
import { closeRegistryClients, sendExpecting } from '../support/registry-client.ts';
import { startRegistries, type TestRegistry } from '../support/registry.ts';
import { runMeasured } from './lab/measure.ts';
import { BenchUsageError, parseBenchArgs } from './lab/options.ts';
import { verifyCopy, type CopyMapping } from './lab/verify.ts';
import { seedWorkload, tinyWorkload, WORKLOAD_NAMES, type SeededWorkload } from './lab/workloads.ts';

// The benchmark lab on tiny versions of its three workloads, so that seeding and verification
// cannot rot unnoticed between benchmark runs: seeding is deterministic (two registries seeded
// alike hold byte-identical repositories, which verify accepts), and verify names each manifest
// and blob a copy lacks or changed.

const Manifest = z.looseObject({ layers: z.array(z.looseObject({ digest: z.string() })) });

function identity(workloads: SeededWorkload[]): CopyMapping[] {
  return workloads.flatMap((w) => w.repositories.map((r) => ({ source: r.repository, destination: r.repository, tags: [...r.tags, ...r.artifactTags] })));
}

describe('benchmark lab', () => {
  let source: TestRegistry;
  let copy: TestRegistry;
  let damaged: TestRegistry;
  let seeded: SeededWorkload[];
  before(async () => {
    [source, copy, damaged] = (await startRegistries(3, { name: 'lab' })) as [TestRegistry, TestRegistry, TestRegistry];
    seeded = await Promise.all(WORKLOAD_NAMES.map((name) => seedWorkload(source, tinyWorkload(name))));
    await Promise.all([copy, damaged].flatMap((reg) => WORKLOAD_NAMES.map((name) => seedWorkload(reg, tinyWorkload(name)))));
  });
  after(async () => {
    await Promise.all([source, copy, damaged].map((reg) => reg?.close()));
    await closeRegistryClients();
  });

  test('seeds each workload with the shape the benchmark copies', () => {
    const [small, large, multiarch] = seeded as [SeededWorkload, SeededWorkload, SeededWorkload];
    assert.deepEqual(small.repositories.map((r) => [r.repository, r.tags]), [
      ['bench/app-00', ['v1.0.0', 'v1.0.1']],
      ['bench/app-01', ['v1.0.0', 'v1.0.1']],
      ['bench/app-02', ['v1.0.0', 'v1.0.1']],
    ]);
    // Each repository: one shared base layer, and per image two unique layers and a config.
    assert.deepEqual(small.repositories.map((r) => r.blobs), [1 + 2 * 3, 1 + 2 * 3, 1 + 2 * 3]);
    // app-00 and app-02 share one base layer (8 KiB); nothing else is shared.
    assert.equal(small.bytes - small.distinctBytes, 8 * 1024);
    // Two streamed layers (the first spans more than one 1 MiB chunk) and a config.
    assert.deepEqual([large.images, large.blobs, large.bytes > (1 << 20) + 64 * 1024], [1, 3, true]);
    const [multi] = multiarch.repositories;
    assert.equal(multi?.repository, 'bench/multi');
    assert.deepEqual(multi?.tags, ['v1']);
    assert.equal(multi?.artifactTags.length, 2);
    assert.match(multi?.artifactTags[0] ?? '', /^sha256-[0-9a-f]{64}\.sig$/);
    assert.match(multi?.artifactTags[1] ?? '', /^sha256-[0-9a-f]{64}$/);
  });

  test('a registry seeded alike verifies as a byte-identical copy, signature and attestation included', async () => {
    const report = await verifyCopy(source, copy, identity(seeded));
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    // 6 + 1 + 1 image tags, and the signature and referrers tags of the index.
    assert.equal(report.tags, 10);
    // small 6, large 1, multiarch: index + 3 platforms + signature + referrers index + attestation.
    assert.equal(report.manifests, 6 + 1 + 7);
    assert.equal(report.bytes, seeded.reduce((n, w) => n + w.bytes, 0));
  });

  test('verify names every missing tag, changed manifest and missing blob', async () => {
    const layer = Manifest.parse(JSON.parse((await getManifest(source, 'bench/app-00', 'v1.0.1'))!.bytes.toString('utf8'))).layers[2]!.digest;
    await sendExpecting(damaged, { method: 'DELETE', path: `/v2/bench/app-00/blobs/${layer}` }, 202);
    await pushImage(damaged, 'bench/big', { tag: 'v1', seed: 'something else' });
    const signatureTag = seeded[2]!.repositories[0]!.artifactTags[0]!;
    const signature = (await getManifest(damaged, 'bench/multi', signatureTag))!;
    await sendExpecting(damaged, { method: 'DELETE', path: `/v2/bench/multi/manifests/${signature.digest}` }, 202);

    const report = await verifyCopy(source, damaged, identity(seeded));

    assert.equal(report.ok, false);
    assert.equal(report.problems.length, 3, report.problems.join('\n'));
    assert.ok(report.problems.some((p) => p.startsWith(`blob bench/app-00@${layer}: destination answered 404`)), report.problems.join('\n'));
    assert.ok(report.problems.some((p) => p.startsWith('bench/big:v1: destination manifest sha256:')), report.problems.join('\n'));
    assert.ok(report.problems.includes(`bench/multi:${signatureTag}: missing at the destination`), report.problems.join('\n'));
  });
});

describe('benchmark command line', () => {
  test('runs all three workloads, 3 rounds of 512 MiB, when given nothing', () => {
    assert.deepEqual(parseBenchArgs([]), { workloads: ['small', 'large', 'multiarch'], rounds: 3, largeMib: 512 });
    assert.deepEqual(parseBenchArgs(['large', '--rounds', '2', '--large-mib', '2048']), { workloads: ['large'], rounds: 2, largeMib: 2048 });
  });

  test('refuses bad input naming every problem on one line', () => {
    assert.throws(
      () => parseBenchArgs(['smal', 'huge', '--rounds', '0', '--large-mib', '1.5']),
      (error: unknown) =>
        error instanceof BenchUsageError &&
        error.message === 'unknown workload "smal", "huge" (known: small, large, multiarch); --rounds takes a whole number from 1, got "0"; --large-mib takes a whole number from 1, got "1.5"',
    );
    assert.throws(() => parseBenchArgs(['--round', '2']), (error: unknown) => error instanceof BenchUsageError && !error.message.includes('\n') && error.message.includes("'--round'"));
  });
});

describe('benchmark measurement', () => {
  test('reports the exit status and the peak RSS of a grandchild, as under npm run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crossdock-measure-'));
    try {
      // sh stays the parent (the trailing exit keeps it from exec-ing node), as npm does.
      const script = `const b = Buffer.alloc(160 * 1024 * 1024, 1); setTimeout(() => { console.log(b[0] + b[b.length - 1]); process.exit(3); }, 300);`;
      const measured = await runMeasured('sh', ['-c', `"${process.execPath}" -e '${script}'; exit $?`], { cwd: dir, env: process.env, logFile: join(dir, 'log') });
      assert.equal(measured.exitCode, 3);
      assert.equal((await readFile(join(dir, 'log'), 'utf8')).trim(), '2');
      assert.ok(measured.peakRssMib >= 160, `peak ${measured.peakRssMib} MiB`);
      assert.ok(measured.seconds >= 0.3, `${measured.seconds} s`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('counts an esbuild in the tree apart from the copier (a bundle rebuild is not the copy)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crossdock-measure-'));
    try {
      // A process named esbuild (node under that name) peaks at 160 MiB, then the copier at far less.
      await symlink(process.execPath, join(dir, 'esbuild'));
      const big = `const b = Buffer.alloc(160 * 1024 * 1024, 1); setTimeout(() => console.log(b[0]), 300);`;
      const small = `setTimeout(() => console.log("copied"), 300);`;
      const measured = await runMeasured('sh', ['-c', `"${join(dir, 'esbuild')}" -e '${big}' && "${process.execPath}" -e '${small}'; exit $?`], { cwd: dir, env: process.env, logFile: join(dir, 'log') });
      assert.equal(measured.exitCode, 0);
      assert.equal((await readFile(join(dir, 'log'), 'utf8')).trim(), '1\ncopied');
      assert.ok(measured.buildPeakRssMib !== undefined && measured.buildPeakRssMib >= 160, `esbuild peak ${measured.buildPeakRssMib} MiB`);
      assert.ok(measured.peakRssMib < 160, `copier peak ${measured.peakRssMib} MiB`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
