import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLocalConfig } from '../../../infra/local/config.ts';

test('a registry is declared in the local config with {} or with no value at all, patterns included', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-declare-'));
  try {
    const file = join(dir, 'crossdock.yaml');
    await writeFile(file, ['registries:', '  127.0.0.1:5001:', '  "*.dkr.ecr.*.amazonaws.com": {}', '  registry.example.com: { username: mirror }'].join('\n'));
    const config = await loadLocalConfig(file, {}, dir);
    assert.deepEqual(config.registries, { '127.0.0.1:5001': {}, '*.dkr.ecr.*.amazonaws.com': {}, 'registry.example.com': { username: 'mirror' } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
