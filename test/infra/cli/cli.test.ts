import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeRegistryClients, getManifest, hasBlob, listTags, pushImage, pushIndex, pushSignatureTag } from '../../support/images.ts';
import { freePort } from '../../support/ports.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';

const CLI = fileURLToPath(new URL('../../../infra/bin/crossdock.mjs', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function crossdock(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, HOME: workdir, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let workdir: string;
let src: TestRegistry;
let dst: TestRegistry;

async function writeConfig(name: string, config: unknown): Promise<string> {
  const path = join(workdir, name);
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

describe('crossdock CLI', () => {
  before(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'crossdock-cli-'));
    [src, dst] = await Promise.all([startRegistry(), startRegistry()]);
    for (const tag of ['v1.0', 'v1.1', 'v2.0']) await pushImage(src, 'app/web', { tag, seed: `web-${tag}`, format: tag === 'v2.0' ? 'oci' : 'docker' });
    const index = await pushIndex(src, 'app/multi', { tag: 'v1', format: 'oci', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
    await pushSignatureTag(src, 'app/multi', index.digest);
  });

  after(async () => {
    await closeRegistryClients();
    await Promise.all([src?.close(), dst?.close()]);
    await rm(workdir, { recursive: true, force: true });
  });

  test('sync copies every tag, a regex selection and signatures, digests preserved, then finds all up to date', async () => {
    const config = await writeConfig('sync.yaml', [
      'images:',
      `  ${src.host}/app/web: ${dst.host}/mirror/web`,
      `  "${src.host}/app/web:/^v1\\\\./": ["${dst.host}/only-v1/web"]`,
      `  ${src.host}/app/multi: ${dst.host}/mirror/multi`,
    ].join('\n'));

    const first = await crossdock(['sync', '--config', config, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.equal(summary.images, 6);
    assert.equal(summary.copied, 6);
    assert.equal(summary.failed, 0);

    for (const tag of ['v1.0', 'v1.1', 'v2.0']) {
      assert.equal((await getManifest(dst, 'mirror/web', tag))?.digest, (await getManifest(src, 'app/web', tag))?.digest, tag);
    }
    assert.deepEqual((await listTags(dst, 'only-v1/web')).sort(), ['v1.0', 'v1.1']);
    const sourceIndex = await getManifest(src, 'app/multi', 'v1');
    assert.equal((await getManifest(dst, 'mirror/multi', 'v1'))?.digest, sourceIndex?.digest);
    const sigTag = `${sourceIndex!.digest.replace(':', '-')}.sig`;
    assert.equal((await getManifest(dst, 'mirror/multi', sigTag))?.digest, (await getManifest(src, 'app/multi', sigTag))?.digest);

    const second = await crossdock(['sync', '--config', config]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /synced 6 images .*: 0 copied, 6 up to date, 0 skipped, 0 failed/);
  });

  test('a dry run says what it would copy and writes nothing', async () => {
    const config = await writeConfig('dry.json', { images: { [`${src.host}/app/web:v2.0`]: `${dst.host}/dry/web` } });
    const run = await crossdock(['sync', '--config', config, '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /dry run: 1 images: 1 to copy \([\d.]+ [KM]iB in 3 blobs\)/);
    assert.deepEqual(await listTags(dst, 'dry/web'), []);
  });

  test('--no-overwrite keeps a different image at the destination and says why', async () => {
    await pushImage(dst, 'keep/web', { tag: 'v1.0', seed: 'something-else' });
    const before = await getManifest(dst, 'keep/web', 'v1.0');
    const config = await writeConfig('keep.json', { images: { [`${src.host}/app/web:v1.0`]: `${dst.host}/keep/web` } });
    const run = await crossdock(['sync', '--config', config, '--no-overwrite']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /skipped .*keep\/web:v1\.0: destination tag v1\.0 holds sha256:[0-9a-f]{64}, source is sha256:[0-9a-f]{64}, and overwrite is off/);
    assert.equal((await getManifest(dst, 'keep/web', 'v1.0'))?.digest, before?.digest);
  });

  test('a failed image gives exit status 1 and a FAILED line with its code; the others still copy', async () => {
    const config = await writeConfig('partial.json', {
      images: { [`${src.host}/app/missing:v1`]: `${dst.host}/partial/missing`, [`${src.host}/app/web:v1.1`]: `${dst.host}/partial/web` },
    });
    const run = await crossdock(['sync', '--config', config, '--retries', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /FAILED .*app\/missing:v1 → .*partial\/missing:v1: \[REGISTRY_NOT_FOUND\]/);
    assert.equal((await getManifest(dst, 'partial/web', 'v1.1'))?.digest, (await getManifest(src, 'app/web', 'v1.1'))?.digest);
  });

  test('an unreachable registry is a FAILED line naming the connection error, not a stack trace', async () => {
    const port = await freePort();
    const config = await writeConfig('down.json', { images: { [`127.0.0.1:${port}/app/web:v1`]: `${dst.host}/down/web` } });
    const run = await crossdock(['sync', '--config', config, '--retries', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /FAILED .*\[REGISTRY_UNREACHABLE\] .*ECONNREFUSED/);
    assert.doesNotMatch(run.stdout + run.stderr, /\n\s+at /);
  });

  for (const [name, args, pattern] of [
    ['an unknown flag', ['sync', '--prox', '3'], /^crossdock: Unknown option '--prox' \[INVALID_FLAG\]\n$/],
    ['a missing config file', ['sync', '--config', '/nonexistent/sync.yaml'], /^crossdock: cannot read \/nonexistent\/sync\.yaml: no such file \[CONFIG_UNREADABLE\]\n$/],
    ['a bad --proc', ['sync', '--config', 'x', '--proc', 'many'], /^crossdock: --proc takes a whole number from 1 to 10000, got "many" \[INVALID_FLAG\]\n$/],
    ['an unknown command', ['synk'], /^crossdock: unknown command "synk" \(try: crossdock help\) \[INVALID_FLAG\]\n$/],
    ['a malformed reference', ['copy', 'UPPER/Case:tag', 'dst.example/x'], /^crossdock: invalid image reference "UPPER\/Case:tag": invalid repository path component "Case"/],
  ] as const) {
    test(`${name} exits 2 with one clear line`, async () => {
      const run = await crossdock([...args]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, pattern);
      assert.equal(run.stdout, '');
    });
  }

  test('an invalid config exits 2 naming every problem on one line', async () => {
    const config = await writeConfig('bad.yaml', 'images:\n  "h.example/a/B": d.example/b\n  "h.example/a/c:/(x/": d.example/c\n');
    const run = await crossdock(['sync', '--config', config]);
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^crossdock: 2 problems: .*invalid repository path component "B".*; .*invalid tag pattern/);
  });

  test('credentials reach neither the --log file nor the output, even when a copy fails', async () => {
    const secured = await startRegistry({ auth: 'htpasswd' });
    try {
      await pushImage(secured, 'secret/app', { tag: 'v1' });
      const password = secured.credentials!.password;
      const log = join(workdir, 'sync.log');
      const config = await writeConfig('secured.json', {
        auth: { [secured.host]: { username: secured.credentials!.username, password: '${CROSSDOCK_TEST_PASSWORD}' } },
        images: { [`${secured.host}/secret/app:v1`]: `${dst.host}/secret/app`, [`${secured.host}/secret/missing:v1`]: `${dst.host}/secret/missing` },
      });
      const run = await new Promise<Run>((resolve) => {
        execFile(process.execPath, [CLI, 'sync', '--config', config, '--log', log, '--retries', '0'], { env: { ...process.env, HOME: workdir, CROSSDOCK_TEST_PASSWORD: password } }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      assert.equal(run.code, 1, run.stderr);
      const logged = await readFile(log, 'utf8');
      assert.match(logged, /"message":"blob uploaded"/);
      assert.match(logged, /"message":"image failed"/);
      const basic = Buffer.from(`${secured.credentials!.username}:${password}`).toString('base64');
      for (const text of [logged, run.stdout, run.stderr]) {
        assert.ok(!text.includes(password), 'password leaked');
        assert.ok(!text.includes(basic), 'Basic credentials leaked');
        assert.doesNotMatch(text, /authorization/i);
      }
      assert.equal((await getManifest(dst, 'secret/app', 'v1'))?.digest, (await getManifest(secured, 'secret/app', 'v1'))?.digest);
    } finally {
      await secured.close();
    }
  });

  test('copy takes one image with a platform filter and reports the new index digest', async () => {
    const run = await crossdock(['copy', `${src.host}/app/multi:v1`, `${dst.host}/one/multi:arm`, '--platform', 'linux/arm64', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.status, 'copied');
    assert.equal(result.digestPreserved, false);
    assert.deepEqual(result.platforms, { kept: ['linux/arm64'], dropped: ['linux/amd64'] });
    const copied = await getManifest(dst, 'one/multi', 'arm');
    assert.equal(copied?.digest, result.digest);
    const body = JSON.parse(copied!.bytes.toString());
    assert.deepEqual(body.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture), ['arm64']);
    const child = await getManifest(dst, 'one/multi', body.manifests[0].digest);
    assert.ok(child, 'the kept platform manifest is at the destination');
    for (const layer of JSON.parse(child.bytes.toString()).layers) assert.ok(await hasBlob(dst, 'one/multi', layer.digest), layer.digest);
  });
});
