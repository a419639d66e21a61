import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { createCopyProgress, PLAIN_EVERY_MS } from '../../../infra/cli/copy-progress.ts';

function harness(live: boolean, total?: number) {
  const out = new PassThrough();
  let written = '';
  out.on('data', (chunk: Buffer) => (written += chunk.toString()));
  let clock = 1_000_000;
  let tick: (() => void) | undefined;
  let period = 0;
  let stopped = false;
  const progress = createCopyProgress(out, {
    live,
    ...(total !== undefined ? { total } : {}),
    now: () => clock,
    every: (fn, ms) => {
      tick = fn;
      period = ms;
      return { stop: () => (stopped = true) };
    },
  });
  return {
    progress,
    advance: (ms: number) => {
      clock += ms;
      tick!();
    },
    output: () => written,
    period: () => period,
    stopped: () => stopped,
  };
}

describe('copy progress', () => {
  test('on a terminal, one line redrawn in place: bytes done of the image size, rate, time', () => {
    const h = harness(true, 300 * 1024 * 1024);
    h.progress.bytes(100 * 1024 * 1024);
    h.advance(2000);
    assert.equal(h.output(), '\r\x1b[2Kcopied 100.0 MiB of 300.0 MiB · 50.0 MiB/s · 2.0 s');
    h.progress.stop();
    assert.ok(h.output().endsWith('\r\x1b[2K'), 'the live line is cleared at the end');
    assert.ok(h.stopped());
  });

  test('with blobs reported, the line counts blobs done of blobs reached', () => {
    const h = harness(true, 300 * 1024 * 1024);
    for (let i = 0; i < 3; i++) h.progress.blob({ phase: 'start' });
    h.progress.blob({ phase: 'done' });
    h.progress.bytes(100 * 1024 * 1024);
    h.advance(2000);
    assert.equal(h.output(), '\r\x1b[2Kcopied 100.0 MiB of 300.0 MiB · blobs 1/3 · 50.0 MiB/s · 2.0 s');
    h.progress.stop();
  });

  test('elsewhere, a plain line every period while bytes move, and none while they do not', () => {
    const h = harness(false);
    assert.equal(h.period(), PLAIN_EVERY_MS);
    h.progress.bytes(10 * 1024 * 1024);
    h.advance(PLAIN_EVERY_MS);
    h.advance(PLAIN_EVERY_MS);
    h.progress.bytes(10 * 1024 * 1024);
    h.advance(PLAIN_EVERY_MS);
    assert.equal(h.output(), 'copied 10.0 MiB · 1.0 MiB/s · 10.0 s\ncopied 20.0 MiB · 682.7 KiB/s · 30.0 s\n');
  });
});
