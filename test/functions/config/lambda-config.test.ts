/**
 * The Lambda edge of the configuration against a Secrets Manager endpoint on loopback (scripted:
 * see test/support/secrets-manager.ts), through the real SDK client given that endpoint and
 * explicit credentials.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { rebuildOnChange } from '../../../functions/config/cached.ts';
import { loadLambdaConfig } from '../../../functions/config/lambda-config.ts';
import { createSecretReader } from '../../../functions/config/secrets-manager.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/log.ts';
import { startScriptedSecretsManager, type ScriptedSecretsManager } from '../../support/secrets-manager.ts';
import { TEST_REGION } from '../../support/aws.ts';

const BASE_ENV = {
  AWS_REGION: TEST_REGION,
  CROSSDOCK_RULES_TABLE: 'rules',
  CROSSDOCK_TASKS_TABLE: 'tasks',
  CROSSDOCK_QUEUE_URL: 'http://127.0.0.1:9/000000000000/tasks',
  CROSSDOCK_SECRETS_TTL_SECONDS: '300',
};
const SOURCES = (token: string) => JSON.stringify({ hub: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: `Bearer ${token}` } } });
// A CA bundle the size of a real one: more than Lambda's 4 KB of environment on its own.
const CA = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(6000)}\n-----END CERTIFICATE-----\n`;

describe('Lambda configuration from Secrets Manager', () => {
  let secrets: ScriptedSecretsManager;
  let logLines: string[];
  const logger = () => createLogger({ level: 'debug', sink: (line) => logLines.push(line) });
  const reader = () => createSecretReader(new SecretsManagerClient({
    region: TEST_REGION,
    endpoint: secrets.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  }));

  before(async () => {
    secrets = await startScriptedSecretsManager();
  });
  after(() => secrets.close());
  beforeEach(() => {
    secrets.requests.length = 0;
    secrets.failing = false;
    logLines = [];
  });

  it('reads the secrets a function needs at cold start, a registry secret over 4 KB included', async () => {
    secrets.put('crossdock/test/webhook-sources', SOURCES('one'));
    secrets.put('crossdock/test/registries', JSON.stringify({ 'registry.example': { username: 'u', password: 'p', ca: CA } }));
    const config = loadLambdaConfig({
      ...BASE_ENV,
      CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'crossdock/test/webhook-sources',
      CROSSDOCK_REGISTRIES_SECRET: 'crossdock/test/registries',
      CROSSDOCK_API_KEYS: 'k1, k2',
    }, ['webhookSources', 'registries', 'apiKeys'], { readSecret: reader(), logger: logger() });
    const value = await config.secrets();
    assert.deepEqual(value.webhookSources, { hub: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: 'Bearer one' } } });
    assert.equal(value.registries['registry.example']?.ca, CA);
    assert.deepEqual(value.apiKeys, ['k1', 'k2']);
    assert.deepEqual(secrets.requests.map((r) => [r.target, r.secretId]).sort(), [
      ['secretsmanager.GetSecretValue', 'crossdock/test/registries'],
      ['secretsmanager.GetSecretValue', 'crossdock/test/webhook-sources'],
    ]);
    assert.equal(config.settings.tasksTable, 'tasks');
  });

  it('through CROSSDOCK_SECRETSMANAGER_ENDPOINT, builds its own client with explicit credentials', async () => {
    secrets.put('crossdock/test/api-keys', 'from-endpoint');
    const config = loadLambdaConfig({ ...BASE_ENV, CROSSDOCK_SECRETSMANAGER_ENDPOINT: secrets.endpoint, CROSSDOCK_API_KEYS_SECRET: 'crossdock/test/api-keys' }, ['apiKeys'], { logger: logger() });
    assert.deepEqual((await config.secrets()).apiKeys, ['from-endpoint']);
    assert.equal(secrets.requests.length, 1);
  });

  it('uses the cached secrets until the TTL ends, then sees a rotation; dependants are rebuilt only on a change', async () => {
    secrets.put('crossdock/test/webhook-sources', SOURCES('before'));
    let now = 1_000_000;
    const config = loadLambdaConfig({ ...BASE_ENV, CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'crossdock/test/webhook-sources' }, ['webhookSources'], { readSecret: reader(), logger: logger(), now: () => now });
    let builds = 0;
    const current = rebuildOnChange(config.secrets, (s) => ({ build: ++builds, token: s.webhookSources.hub?.auth }));

    assert.deepEqual(await current(), { build: 1, token: { kind: 'header', header: 'authorization', value: 'Bearer before' } });
    secrets.put('crossdock/test/webhook-sources', SOURCES('after'));
    now += 299_000;
    assert.equal((await current()).build, 1, 'within the TTL: cached, no request');
    assert.equal(secrets.requests.length, 1);

    now += 2_000;
    assert.deepEqual(await current(), { build: 2, token: { kind: 'header', header: 'authorization', value: 'Bearer after' } });
    assert.equal(secrets.requests.length, 2);

    now += 301_000;
    assert.equal((await current()).build, 2, 'the same text again: nothing rebuilt');
    assert.equal(secrets.requests.length, 3);
  });

  it('keeps serving the previous secrets while a re-read fails, and never logs their value', async () => {
    secrets.put('crossdock/test/webhook-sources', SOURCES('kept-secret-token'));
    let now = 0;
    const config = loadLambdaConfig({ ...BASE_ENV, CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'crossdock/test/webhook-sources' }, ['webhookSources'], { readSecret: reader(), logger: logger(), now: () => now });
    const first = await config.secrets();
    secrets.failing = true;
    now += 301_000;
    assert.equal(await config.secrets(), first);
    assert.equal(secrets.requests.length, 2);
    assert.equal(await config.secrets(), first, 'not re-read again at once');
    assert.equal(secrets.requests.length, 2);
    const warnings = logLines.map((line) => JSON.parse(line) as { level: string; message: string }).filter((l) => l.level === 'warn');
    assert.deepEqual(warnings.map((w) => w.message), ['configuration refresh failed, keeping the previous value']);
    assert.ok(logLines.every((line) => !line.includes('kept-secret-token')));
  });

  it('fails the cold start when a secret cannot be read', async () => {
    const config = loadLambdaConfig({ ...BASE_ENV, CROSSDOCK_REGISTRIES_SECRET: 'crossdock/test/missing' }, ['registries'], { readSecret: reader(), logger: logger() });
    await assert.rejects(config.secrets(), { name: 'ResourceNotFoundException' });
  });

  it('names every problem of a malformed secret, without its value', async () => {
    secrets.put('crossdock/test/bad-sources', JSON.stringify({ hub: { provider: 'nope', auth: { kind: 'header', header: 'x', value: 'leaky-value' }, extra: 1 } }));
    const config = loadLambdaConfig({ ...BASE_ENV, CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'crossdock/test/bad-sources' }, ['webhookSources'], { readSecret: reader(), logger: logger() });
    const error = await config.secrets().then(() => assert.fail('accepted'), (e: unknown) => e);
    assert.ok(error instanceof InvalidInputError);
    assert.equal(error.code, 'ENVIRONMENT_INVALID');
    const text = error.problems.join('\n');
    assert.match(text, /secret crossdock\/test\/bad-sources\.hub\.provider/);
    assert.match(text, /extra/);
    assert.ok(!text.includes('leaky-value'));
  });

  it('refuses a secret given both by value and by name', () => {
    assert.throws(
      () => loadLambdaConfig({ ...BASE_ENV, CROSSDOCK_API_KEYS: 'k', CROSSDOCK_API_KEYS_SECRET: 'crossdock/test/api-keys' }, ['apiKeys'], { logger: logger() }),
      (error: unknown) => error instanceof InvalidInputError && error.code === 'ENVIRONMENT_INVALID' && /CROSSDOCK_API_KEYS and CROSSDOCK_API_KEYS_SECRET are both set/.test(error.problems.join('\n')),
    );
  });
});
