import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, getManifest, listTags, pushImage, pushIndex} from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { runCli, startCli } from './run-cli.ts';

// image-syncer's README forms and flags, run through the real CLI against real registries.

let workdir: string;
let src: TestRegistry;
let dst: TestRegistry;
const digests: Record<string, string> = {};

const crossdock = (args: string[], env: Record<string, string> = {}) => runCli(args, { HOME: workdir, ...env });

async function writeConfig(name: string, config: unknown): Promise<string> {
  const path = join(workdir, name);
  await writeFile(path, JSON.stringify(config));
  return path;
}

async function architectures(registry: TestRegistry, repository: string, tag: string): Promise<string[]> {
  const index = JSON.parse((await getManifest(registry, repository, tag))!.bytes.toString());
  return index.manifests.map((m: { platform: { os: string; architecture: string; variant?: string } }) => [m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join('/'));
}

describe('crossdock sync, image-syncer compatibility', () => {
  before(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'crossdock-compat-'));
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    for (const tag of ['v1', 'v2', 'v3']) digests[tag] = (await pushImage(src, 'app/web', { tag, seed: `compat-${tag}` })).digest;
    await pushIndex(src, 'app/multi', {
      tag: 'v1',
      format: 'oci',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
        { os: 'linux', architecture: 'arm', variant: 'v7' },
        { os: 'linux', architecture: 'arm', variant: 'v6' },
        { os: 'windows', architecture: 'amd64' },
      ],
    });
  });

  after(async () => {
    await closeRegistryClients();
    await Promise.all([src?.close(), dst?.close()]);
    await rm(workdir, { recursive: true, force: true });
  });

  test('SRC:a,b → DST:x,y copies each tag to the tag in the same position', async () => {
    const config = await writeConfig('rename.json', { images: { [`${src.host}/app/web:v1,v2`]: `${dst.host}/renamed/web:one,two` } });
    const run = await crossdock(['sync', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((await listTags(dst, 'renamed/web')).sort(), ['one', 'two']);
    assert.equal((await getManifest(dst, 'renamed/web', 'one'))?.digest, digests.v1);
    assert.equal((await getManifest(dst, 'renamed/web', 'two'))?.digest, digests.v2);
  });

  test('SRC@DIGEST → DST@DIGEST and SRC:tag@DIGEST → DST copy that digest and tag nothing', async () => {
    const config = await writeConfig('digest.json', {
      images: {
        [`${src.host}/app/web@${digests.v1}`]: `${dst.host}/pinned/one@${digests.v1}`,
        [`${src.host}/app/web:v3@${digests.v2}`]: `${dst.host}/pinned/two`,
      },
    });
    const run = await crossdock(['sync', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await getManifest(dst, 'pinned/one', digests.v1!))?.digest, digests.v1);
    assert.equal((await getManifest(dst, 'pinned/two', digests.v2!))?.digest, digests.v2);
    assert.deepEqual(await listTags(dst, 'pinned/two'), []);
  });

  test('${VAR} inside a destination comes from the environment', async () => {
    const config = await writeConfig('env.json', { images: { [`${src.host}/app/web:v1`]: `\${MIRROR}/lab-\${SUFFIX}/web` } });
    const run = await crossdock(['sync', '--config', config], { MIRROR: dst.host, SUFFIX: 'blue' });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await getManifest(dst, 'lab-blue/web', 'v1'))?.digest, digests.v1);
  });

  test('an empty destination list exits 2 naming the entry; nothing is copied', async () => {
    const config = await writeConfig('empty.json', { images: { [`${src.host}/app/web:v1`]: [] } });
    const run = await crossdock(['sync', '--config', config]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.equal(run.stderr, `crossdock: ${config}: images["${src.host}/app/web:v1"]: no destination (an empty list copies nothing; image-syncer refuses it too) [CONFIG_INVALID]\n`);
  });

  test('a destination listed twice is copied once, and the dry run counts it once', async () => {
    const config = await writeConfig('twice.json', { images: { [`${src.host}/app/web:v1`]: [`${dst.host}/twice/web`, `${dst.host}/twice/web`] } });
    const dry = await crossdock(['sync', '--config', config, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: 1 images: 1 to copy/);
    const run = await crossdock(['sync', '--config', config, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).images, 1);
  });

  for (const [flags, expected] of [
    [['--arch', 'arm64'], ['linux/arm64']],
    [['--arch', 'arm:v7'], ['linux/arm/v7']],
    [['--os', 'linux', '--arch', 'arm'], ['linux/arm/v7', 'linux/arm/v6']],
    [['--os', 'windows'], ['windows/amd64']],
  ] as const) {
    test(`${flags.join(' ')} keeps ${expected.join(', ')}`, async () => {
      const repository = `filter/${flags.join('-').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}`;
      const config = await writeConfig(`${repository.replace('/', '-')}.json`, { images: { [`${src.host}/app/multi:v1`]: `${dst.host}/${repository}` } });
      const run = await crossdock(['sync', '--config', config, ...flags]);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await architectures(dst, repository, 'v1'), expected);
    });
  }

  test('-p and -r are --proc and --retries; --force replaces a different image', async () => {
    const stale = await pushImage(dst, 'forced/web', { tag: 'v1', seed: 'stale' });
    const config = await writeConfig('force.json', { images: { [`${src.host}/app/web:v1`]: `${dst.host}/forced/web` } });
    const run = await crossdock(['sync', '--config', config, '-p', '2', '-r', '0', '--force']);
    assert.equal(run.code, 0, run.stderr);
    assert.notEqual(stale.digest, digests.v1);
    assert.equal((await getManifest(dst, 'forced/web', 'v1'))?.digest, digests.v1);
    const contradiction = await crossdock(['sync', '--config', config, '--force', '--no-overwrite']);
    assert.equal(contradiction.code, 2);
    assert.equal(contradiction.stderr, 'crossdock: --force and --no-overwrite contradict each other [FLAG_INVALID]\n');
  });

  test('--output-success-images writes what is now at its destination, YAML by default or JSON', async () => {
    const config = await writeConfig('success.json', {
      images: { [`${src.host}/app/web:v1,v2`]: [`${dst.host}/ok/a`, `${dst.host}/ok/b`], [`${src.host}/app/missing:v1`]: `${dst.host}/ok/missing` },
    });
    const yamlFile = join(workdir, 'success.yaml');
    const run = await crossdock(['sync', '--config', config, '-r', '0', '--output-success-images', yamlFile]);
    assert.equal(run.code, 1, 'the missing image fails');
    const expected = {
      [`${src.host}/app/web:v1`]: [`${dst.host}/ok/a:v1`, `${dst.host}/ok/b:v1`],
      [`${src.host}/app/web:v2`]: [`${dst.host}/ok/a:v2`, `${dst.host}/ok/b:v2`],
    };
    const sorted = (o: Record<string, string[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [...v].sort()]));
    assert.deepEqual(sorted(parseYaml(await readFile(yamlFile, 'utf8'))), expected);

    const jsonFile = join(workdir, 'success.json.out');
    const again = await crossdock(['sync', '--config', config, '-r', '0', '--output-success-images', jsonFile, '--output-images-format', 'json']);
    assert.equal(again.code, 1);
    assert.deepEqual(sorted(JSON.parse(await readFile(jsonFile, 'utf8'))), expected, 'up-to-date images count as at their destination');
    const bad = await crossdock(['sync', '--config', config, '--output-images-format', 'xml']);
    assert.equal(bad.stderr, 'crossdock: --output-images-format takes yaml or json, got "xml" [FLAG_INVALID]\n');
  });

  test('Ctrl-C prints the summary of what finished and exits 130', async () => {
    // Scripted proxy: a blob GET answering 503 with a long Retry-After keeps one image in flight.
    const proxy: FaultProxy = await startFaultProxy(src.url);
    try {
      proxy.addFault({ method: 'GET', path: /^\/v2\/app\/multi\/blobs\//, times: Infinity, action: { kind: 'status', status: 503, headers: { 'retry-after': '100' } } });
      const log = join(workdir, 'interrupt.log');
      const config = await writeConfig('interrupt.json', {
        images: { [`${src.host}/app/web:v3`]: `${dst.host}/interrupt/web`, [`${proxy.host}/app/multi:v1`]: `${dst.host}/interrupt/multi` },
      });
      const { child, done } = startCli(['sync', '--config', config, '--log', log, '-p', '2'], { HOME: workdir });
      const started = Date.now();
      for (;;) {
        const logged = await readFile(log, 'utf8').catch(() => '');
        if (logged.includes('"message":"image done"') && proxy.requests.some((r) => r.fault === 'status')) break;
        assert.ok(Date.now() - started < 60_000, 'the sync never reached the point to interrupt');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill('SIGINT');
      const run = await done;
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stdout, /^interrupted: 1 of 2 images finished, 1 not done\nsynced 2 images in [^:]+: 1 copied, 0 up to date, 0 skipped, 0 failed/);
      assert.equal((await getManifest(dst, 'interrupt/web', 'v3'))?.digest, digests.v3);
      assert.deepEqual(await listTags(dst, 'interrupt/multi'), [], 'the interrupted image is not tagged');
    } finally {
      await proxy.close();
    }
  });

  test('Ctrl-C while tags are being listed says nothing was copied and exits 130', async () => {
    // Scripted proxy: a tag list answering 503 with a long Retry-After keeps the plan waiting.
    const proxy: FaultProxy = await startFaultProxy(src.url);
    try {
      proxy.addFault({ method: 'GET', path: /^\/v2\/app\/web\/tags\/list$/, times: Infinity, action: { kind: 'status', status: 503, headers: { 'retry-after': '100' } } });
      const config = await writeConfig('interrupt-plan.json', { images: { [`${proxy.host}/app/web`]: `${dst.host}/interrupt-plan/web` } });
      const { child, done } = startCli(['sync', '--config', config], { HOME: workdir });
      const started = Date.now();
      while (!proxy.requests.some((r) => r.fault === 'status')) {
        assert.ok(Date.now() - started < 60_000, 'the sync never listed tags');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill('SIGINT');
      const run = await done;
      assert.equal(run.code, 130, run.stderr);
      assert.equal(run.stdout, 'interrupted while listing tags: nothing copied\n');
      assert.deepEqual(await listTags(dst, 'interrupt-plan/web'), []);
    } finally {
      await proxy.close();
    }
  });
});
