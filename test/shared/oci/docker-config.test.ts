import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDockerConfig } from '../../../shared/oci/docker-config.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');

describe('loadDockerConfig', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crossdock-docker-config-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function configFile(name: string, content: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  }

  test('reads base64 auth, explicit username/password and identity tokens, Docker Hub under docker.io', async () => {
    const path = await configFile(
      'full.json',
      JSON.stringify({
        auths: {
          'registry.example:5000': { auth: base64('robot:pa:ss:word') },
          'https://index.docker.io/v1/': { auth: base64('hubuser:hubpass') },
          'ghcr.io': { username: 'octo', password: 'token-1' },
          'oauth.example': { identitytoken: 'refresh-me' },
        },
        credsStore: 'desktop',
        HttpHeaders: { 'User-Agent': 'docker' },
      }),
    );

    const entries = await loadDockerConfig(path);

    assert.deepEqual(entries, {
      'registry.example:5000': { username: 'robot', password: 'pa:ss:word' },
      'docker.io': { username: 'hubuser', password: 'hubpass' },
      'ghcr.io': { username: 'octo', password: 'token-1' },
      'oauth.example': { identityToken: 'refresh-me' },
    });
  });

  test('a missing file means no credentials', async () => {
    assert.deepEqual(await loadDockerConfig(join(dir, 'absent.json')), {});
  });

  test('a file without auths means no credentials', async () => {
    assert.deepEqual(await loadDockerConfig(await configFile('empty.json', '{}')), {});
  });

  test('a file that is not JSON is CONFIG_INVALID naming the file', async () => {
    const path = await configFile('broken.json', '{ "auths": ');

    await assert.rejects(loadDockerConfig(path), { code: 'CONFIG_INVALID', message: `Docker config ${path} is not valid JSON` });
  });

  test('an auth that is not base64 of user:password is CONFIG_INVALID without echoing it', async () => {
    const path = await configFile('bad-auth.json', JSON.stringify({ auths: { 'registry.example': { auth: base64('no-colon-secret') } } }));

    await assert.rejects(loadDockerConfig(path), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'CONFIG_INVALID');
      assert.match(error.message, /auths\["registry\.example"\]\.auth is not base64 of user:password/);
      assert.doesNotMatch(error.message, /no-colon-secret/);
      return true;
    });
  });

  test('auths of the wrong shape are CONFIG_INVALID with the path of the problem', async () => {
    const path = await configFile('wrong-shape.json', JSON.stringify({ auths: { 'registry.example': { auth: 42 } } }));

    await assert.rejects(loadDockerConfig(path), { code: 'CONFIG_INVALID', message: /auths\.registry\.example\.auth/ });
  });
});
