import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { handleError } from '../../../functions/http/errors.ts';
import { CrossdockError, DeadlineExceededError, InvalidInputError } from '../../../shared/errors.ts';
import { createLogger } from '../../../shared/log.ts';
import { RegistryError } from '../../../shared/oci/registry-error.ts';

/** An app whose one route throws `error`, answered through handleError; the log lines it wrote. */
async function answer(error: unknown): Promise<{ status: number; body: { error: Record<string, unknown> }; logged: string[] }> {
  const logged: string[] = [];
  const app = new Hono();
  app.onError((thrown, c) => handleError(thrown, c, createLogger({ sink: (line) => logged.push(line) })));
  app.get('/work', () => {
    throw error;
  });
  const res = await app.request('/work');
  return { status: res.status, body: (await res.json()) as { error: Record<string, unknown> }, logged };
}

describe('handleError answers with the status the catalogue gives the code', () => {
  test('DEADLINE_EXCEEDED (a rule run out of time) is 504 and retryable, not a 500', async () => {
    const { status, body } = await answer(new DeadlineExceededError('run rule r1'));
    assert.equal(status, 504);
    assert.deepEqual(body.error, { code: 'DEADLINE_EXCEEDED', message: 'run rule r1: deadline exceeded', retryable: true });
  });

  test('a registry answering 503 is 502 with its code and retryable true', async () => {
    const { status, body } = await answer(new RegistryError('HEAD manifest src.example/app:v1', 503));
    assert.equal(status, 502);
    assert.equal(body.error.code, 'REGISTRY_UNAVAILABLE');
    assert.equal(body.error.retryable, true);
  });

  test('a digest mismatch is 502 with its own code, not an INTERNAL 500', async () => {
    const { status, body } = await answer(new CrossdockError('DIGEST_MISMATCH', 'GET manifest src.example/app@sha256:ab: bytes hash to sha256:cd'));
    assert.equal(status, 502);
    assert.equal(body.error.code, 'DIGEST_MISMATCH');
    assert.equal(body.error.retryable, false);
  });

  test('bad input is 400 listing every problem', async () => {
    const { status, body } = await answer(new InvalidInputError('RULE_INVALID', ['source: required', 'destinations: empty']));
    assert.equal(status, 400);
    assert.deepEqual(body.error, { code: 'RULE_INVALID', message: 'invalid request', retryable: false, problems: ['source: required', 'destinations: empty'] });
  });

  test('a not-found code is 404 and a conflict 409', async () => {
    assert.equal((await answer(new CrossdockError('TASK_NOT_FOUND', 'task t1 does not exist'))).status, 404);
    assert.equal((await answer(new CrossdockError('TASK_CONFLICT', 'task t1 is RUNNING'))).status, 409);
  });

  test('a configuration failure is a logged 500 INTERNAL that does not repeat its message', async () => {
    const { status, body, logged } = await answer(new InvalidInputError('SECRET_INVALID', 'secret arn:aws:secretsmanager:x has no SecretString'));
    assert.equal(status, 500);
    assert.deepEqual(body.error, { code: 'INTERNAL', message: 'internal error; see the service log', retryable: false });
    assert.equal(logged.length, 1);
    assert.equal(JSON.parse(logged[0]!).code, 'SECRET_INVALID');
  });

  test('anything not a CrossdockError is a logged 500 INTERNAL', async () => {
    const { status, body, logged } = await answer(new TypeError('x is undefined'));
    assert.equal(status, 500);
    assert.equal(body.error.code, 'INTERNAL');
    assert.equal(logged.length, 1);
  });
});
