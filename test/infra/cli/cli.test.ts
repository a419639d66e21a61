import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { closeRegistryClients, getManifest, hasBlob, listTags, pushImage, pushIndex, pushSignatureTag } from '../../support/images.ts';
import { freePort } from '../../support/ports.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';

import { runCli } from './run-cli.ts';

function crossdock(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { HOME: workdir, ...env });
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
    ['an unknown flag', ['sync', '--prox', '3'], /^crossdock: Unknown option '--prox' \[FLAG_INVALID\]\n$/],
    ['a missing config file', ['sync', '--config', '/nonexistent/sync.yaml'], /^crossdock: cannot read \/nonexistent\/sync\.yaml: no such file \[CONFIG_UNREADABLE\]\n$/],
    ['a bad --proc', ['sync', '--config', 'x', '--proc', 'many'], /^crossdock: --proc takes a whole number from 1 to 10000, got "many" \[FLAG_INVALID\]\n$/],
    ['an unknown command', ['synk'], /^crossdock: unknown command "synk" \(try: crossdock help\) \[FLAG_INVALID\]\n$/],
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
      const run = await crossdock(['sync', '--config', config, '--log', log, '--retries', '0'], { CROSSDOCK_TEST_PASSWORD: password });
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

  test('copy --auth FILE uses the file\'s credentials (with ${VAR} from the environment)', async () => {
    const secured = await startRegistry({ auth: 'htpasswd' });
    try {
      const pushed = await pushImage(secured, 'private/app', { tag: 'v1', seed: 'copy-auth' });
      const auth = await writeConfig('copy-auth.yaml', `${secured.host}:\n  username: ${secured.credentials!.username}\n  password: "\${COPY_TEST_PASSWORD}"\n`);
      const run = await crossdock(['copy', '--auth', auth, `${secured.host}/private/app:v1`, `${dst.host}/copied/private:v1`], { COPY_TEST_PASSWORD: secured.credentials!.password });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^copied /);
      assert.equal((await getManifest(dst, 'copied/private', 'v1'))?.digest, pushed.digest);
    } finally {
      await secured.close();
    }
  });

  test('copy replaces a different image at the destination tag by default; --no-overwrite keeps it', async () => {
    const other = await pushImage(dst, 'over/web', { tag: 'v1.0', seed: 'stale-mirror' });
    const kept = await crossdock(['copy', '--no-overwrite', `${src.host}/app/web:v1.0`, `${dst.host}/over/web:v1.0`]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(kept.stdout, /^skipped .*overwrite is off/s);
    assert.equal((await getManifest(dst, 'over/web', 'v1.0'))?.digest, other.digest);

    const replaced = await crossdock(['copy', `${src.host}/app/web:v1.0`, `${dst.host}/over/web:v1.0`]);
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stdout, /^copied /);
    assert.equal((await getManifest(dst, 'over/web', 'v1.0'))?.digest, (await getManifest(src, 'app/web', 'v1.0'))?.digest);
  });

  test('copy takes docker:// references, as skopeo users write them', async () => {
    const run = await crossdock(['copy', `docker://${src.host}/app/web:v1.1`, `docker://${dst.host}/skopeo/web`]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((await getManifest(dst, 'skopeo/web', 'v1.1'))?.digest, (await getManifest(src, 'app/web', 'v1.1'))?.digest);
  });

  for (const [args, first] of [
    [['sync', '--help'], /^usage: crossdock sync /],
    [['sync', '-h'], /^usage: crossdock sync /],
    [['copy', '--help'], /^usage: crossdock copy SOURCE DESTINATION/],
    [['serve', '--help'], /^usage: crossdock serve /],
    [['--help'], /^usage: crossdock <command>/],
  ] as const) {
    test(`crossdock ${args.join(' ')} prints its usage and exits 0`, async () => {
      const run = await crossdock([...args]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, first);
      assert.equal(run.stderr, '');
    });
  }

  test('crossdock --version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', 'version']) {
      const run = await crossdock([flag]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `crossdock ${version}\n`);
    }
  });
});
