import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeTarget, runtimeRefusal } from './lambda-runtimes.ts';

describe('Lambda runtime dates', () => {
  it('refuses nodejs20.x from 2026-06-01, the day Lambda stopped creating functions on it', () => {
    assert.equal(runtimeRefusal('nodejs20.x', new Date('2026-05-31T23:00:00Z')), undefined);
    assert.match(runtimeRefusal('nodejs20.x', new Date('2026-12-01T00:00:00Z')) ?? '', /refuses to create functions on nodejs20\.x since 2026-06-01/);
  });

  it('accepts nodejs24.x until 2028-06-01', () => {
    assert.equal(runtimeRefusal('nodejs24.x', new Date('2026-12-01T00:00:00Z')), undefined);
    assert.match(runtimeRefusal('nodejs24.x', new Date('2028-06-01T00:00:00Z')) ?? '', /since 2028-06-01/);
  });

  it('treats a runtime without dates as refused', () => {
    assert.match(runtimeRefusal('nodejs26.x', new Date('2026-12-01T00:00:00Z')) ?? '', /nodejs26\.x is not in NODE_RUNTIMES/);
  });

  it('maps a runtime to the esbuild target of its Node.js major', () => {
    assert.equal(nodeTarget('nodejs24.x'), 'node24');
    assert.throws(() => nodeTarget('python3.13'), /not a Node\.js runtime/);
  });
});
