import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentialHelperProvider } from '../../../shared/oci/credential-helper.ts';
import { closeRegistryClients, getManifest, pushImage } from '../../support/images.ts';
import { startRegistries, TEST_PASSWORD, TEST_USERNAME, type TestRegistry } from '../../support/registry.ts';
import { runCli } from './run-cli.ts';

// Issue 14: the CLI reads Docker credential helpers and the containers auth.json. The helper is a
// real program on PATH (a shell script in a temp directory) speaking the docker-credential-helpers
// protocol; the registries are real Distribution registries requiring htpasswd credentials.

let workdir: string;
let bin: string;
let src: TestRegistry;
let dst: TestRegistry;

function crossdock(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { HOME: workdir, PATH: `${bin}:${process.env.PATH ?? ''}`, XDG_RUNTIME_DIR: join(workdir, 'no-runtime-dir'), ...env });
}

async function write(name: string, content: unknown): Promise<string> {
  const path = join(workdir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('credentials for the CLI', () => {
  before(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'crossdock-cli-creds-'));
    bin = join(workdir, 'bin');
    await mkdir(bin);
    // Knows the two test registries; logs every server URL it is asked about.
    const helper = join(bin, 'docker-credential-crossdock-test');
    await writeFile(helper, [
      '#!/bin/sh',
      'read server',
      `echo "$1 $server" >> "${join(workdir, 'helper.log')}"`,
      'case "$server" in',
      '  127.0.0.1:*) printf \'{"ServerURL":"%s","Username":"' + TEST_USERNAME + '","Secret":"' + TEST_PASSWORD + '"}\' "$server" ;;',
      '  *) echo "credentials not found in native keychain"; exit 1 ;;',
      'esac',
      '',
    ].join('\n'));
    await chmod(helper, 0o755);
    [src, dst] = (await startRegistries(2, { name: 'cli-creds', auth: 'htpasswd' })) as [TestRegistry, TestRegistry];
    await pushImage(src, 'app/web', { tag: 'v1', seed: 'cli-creds' });
  });

  after(async () => {
    await closeRegistryClients();
    await Promise.all([src?.close(), dst?.close()]);
    await rm(workdir, { recursive: true, force: true });
  });

  test('a credsStore helper answers for both registries, asked with each server URL on stdin', async () => {
    // What `docker login` leaves behind with a credential store: empty auths entries.
    const config = await write('docker-store/config.json', { auths: { [src.host]: {}, [dst.host]: {} }, credsStore: 'crossdock-test' });

    const run = await crossdock(['copy', `${src.host}/app/web:v1`, `${dst.host}/store/web:v1`, '--docker-config', config]);

    assert.equal(run.code, 0, run.stderr);
    assert.equal((await getManifest(dst, 'store/web', 'v1'))?.digest, (await getManifest(src, 'app/web', 'v1'))?.digest);
    const asked = (await readFile(join(workdir, 'helper.log'), 'utf8')).trim().split('\n');
    assert.ok(asked.includes(`get ${src.host}`) && asked.includes(`get ${dst.host}`), asked.join(', '));
    assert.ok(!run.stdout.includes(TEST_PASSWORD) && !run.stderr.includes(TEST_PASSWORD));
  });

  test('credHelpers names a helper per registry; a missing helper is one clear line and a non-zero exit', async () => {
    const good = await write('docker-helpers/config.json', { credHelpers: { [src.host]: 'crossdock-test', [dst.host]: 'crossdock-test' } });
    const ok = await crossdock(['copy', `${src.host}/app/web:v1`, `${dst.host}/helpers/web:v1`, '--docker-config', good]);
    assert.equal(ok.code, 0, ok.stderr);

    const missing = await write('docker-missing/config.json', { credHelpers: { [dst.host]: 'not-installed' }, auths: { [src.host]: { auth: Buffer.from(`${TEST_USERNAME}:${TEST_PASSWORD}`).toString('base64') } } });
    const failed = await crossdock(['copy', `${src.host}/app/web:v1`, `${dst.host}/missing/web:v1`, '--docker-config', missing]);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /credential helper "not-installed" for 127\.0\.0\.1:\d+, but docker-credential-not-installed is not on PATH/);
  });

  test('the containers auth.json is read from REGISTRY_AUTH_FILE, below the Docker config', async () => {
    const basic = Buffer.from(`${TEST_USERNAME}:${TEST_PASSWORD}`).toString('base64');
    const authFile = await write('containers/auth.json', { auths: { [src.host]: { auth: basic }, [dst.host]: { auth: Buffer.from('tester:wrong').toString('base64') } } });
    // The Docker config wins for dst (right password); auth.json alone gives src.
    const config = await write('docker-partial/config.json', { auths: { [dst.host]: { auth: basic } } });

    const run = await crossdock(['copy', `${src.host}/app/web:v1`, `${dst.host}/authjson/web:v1`, '--docker-config', config], { REGISTRY_AUTH_FILE: authFile });

    assert.equal(run.code, 0, run.stderr);
    assert.ok(await getManifest(dst, 'authjson/web', 'v1'));
  });

  test('a helper answering the <token> username gives an identity token, not a password', async () => {
    const provider = credentialHelperProvider('any', 'registry.example', { where: 'test', run: async (program, input) => {
      assert.equal(program, 'docker-credential-any');
      assert.equal(input, 'registry.example');
      return JSON.stringify({ ServerURL: input, Username: '<token>', Secret: 'refresh-me' });
    } });
    assert.deepEqual(await provider.credentials(), { identityToken: 'refresh-me' });
  });
});
