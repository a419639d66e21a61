import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadLocalConfig } from '../../../infra/local/config.ts';

test('the local config takes webhook notification targets and refuses SNS and EventBridge ones, which belong to the AWS deployment', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'crossdock-notify-config-'));
  try {
    const file = join(dir, 'crossdock.yaml');
    await writeFile(file, ['notifications:', '  targets:', '    ops: { kind: webhook, url: "https://hooks.example.com/x", secret: { env: HOOK_SECRET } }'].join('\n'));
    const config = await loadLocalConfig(file, {}, dir);
    assert.deepEqual(config.notifications.targets, { ops: { kind: 'webhook', url: 'https://hooks.example.com/x', secret: { env: 'HOOK_SECRET' } } });

    await writeFile(file, ['notifications:', '  targets:', '    alerts: { kind: sns, topicArn: "arn:aws:sns:eu-west-1:123456789012:alerts" }', '    bus: { kind: eventbridge, eventBus: default }'].join('\n'));
    await assert.rejects(loadLocalConfig(file, {}, dir), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /notifications\.targets\.alerts\.kind/);
      assert.match(error.message, /notifications\.targets\.bus\.kind/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
