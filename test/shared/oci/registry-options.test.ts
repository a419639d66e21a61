import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isLoopbackRegistry } from '../../../shared/oci/registry-options.ts';
import { RegistryDirectory } from '../../../shared/oci/registry-directory.ts';

describe('RegistryDirectory', () => {
  test('resolves the most specific entry, host/namespace over host', () => {
    const directory = new RegistryDirectory({
      'registry.example': { username: 'everyone', password: 'p0', chunkSize: 1024 },
      'registry.example/team': { username: 'team', password: 'p1' },
      'registry.example/team/special': { username: 'special', password: 'p2' },
    });

    assert.deepEqual(directory.resolve('registry.example', 'other/app'), { username: 'everyone', password: 'p0', chunkSize: 1024 });
    assert.deepEqual(directory.resolve('registry.example', 'team/app'), { username: 'team', password: 'p1', chunkSize: 1024 });
    assert.deepEqual(directory.resolve('registry.example', 'team/special/app'), { username: 'special', password: 'p2', chunkSize: 1024 });
    assert.deepEqual(directory.resolve('registry.example'), { username: 'everyone', password: 'p0', chunkSize: 1024 });
    assert.deepEqual(directory.resolve('elsewhere.example', 'team/app'), {});
  });

  test('normalises keys written as URLs and Docker Hub aliases', () => {
    const directory = new RegistryDirectory({
      'https://registry.example/v2/': { username: 'a' },
      'https://index.docker.io/v1/': { username: 'hub' },
    });

    assert.deepEqual(directory.resolve('registry.example'), { username: 'a' });
    assert.deepEqual(directory.resolve('docker.io', 'library/alpine'), { username: 'hub' });
  });

  test('fill adds Docker config entries only where nothing is configured', () => {
    const directory = new RegistryDirectory({ 'registry.example': { username: 'explicit', password: 'e', insecure: true } });

    directory.fill({ 'registry.example': { username: 'docker', password: 'd' }, 'other.example': { username: 'docker2', password: 'd2' } });

    assert.deepEqual(directory.resolve('registry.example'), { username: 'explicit', password: 'e', insecure: true });
    assert.deepEqual(directory.resolve('other.example'), { username: 'docker2', password: 'd2' });
  });

  test('caOf reads ca or caFile, and an unreadable caFile is CONFIG_INVALID', () => {
    assert.equal(RegistryDirectory.caOf({ ca: 'PEM' }, 'r'), 'PEM');
    assert.equal(RegistryDirectory.caOf({}, 'r'), undefined);
    assert.throws(() => RegistryDirectory.caOf({ caFile: '/nonexistent/ca.pem' }, 'registry.example'), {
      code: 'CONFIG_INVALID',
      message: /registry registry\.example: cannot read caFile \/nonexistent\/ca\.pem/,
    });
  });
});

describe('isLoopbackRegistry', () => {
  test('accepts localhost, 127.x and [::1], with or without port, and nothing else', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1', '127.1.2.3:443', '[::1]:5000']) assert.equal(isLoopbackRegistry(host), true, host);
    for (const host of ['registry.example', '10.0.0.1:5000', 'localhost.example', '127.0.0.1.example']) assert.equal(isLoopbackRegistry(host), false, host);
  });
});
