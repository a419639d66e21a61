import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createManifestGetTally, taskEmfLine } from '../../../shared/metrics/embedded-metric-format.ts';
import { MetricsRegistry } from '../../../shared/metrics/prometheus-text.ts';
import { Task } from '../../../shared/tasks/task.ts';

const task = Task.parse({
  id: 'f'.repeat(32), kind: 'push', source: { registry: 'src.example', repository: 'a', tag: 'v1' }, destination: { registry: 'dst.example', repository: 'b', tag: 'v1' },
  options: { overwrite: true, platforms: [], referrers: true }, status: 'SUCCEEDED', attempts: 1, generation: 0,
  pushedAt: '2026-12-01T10:00:00.000Z', createdAt: '2026-12-01T10:00:01.000Z', updatedAt: '2026-12-01T10:00:09.000Z', enqueuedAt: '2026-12-01T10:00:01.500Z',
  startedAt: '2026-12-01T10:00:02.000Z', finishedAt: '2026-12-01T10:00:09.000Z',
  result: { sourceDigest: `sha256:${'1'.repeat(64)}`, digest: `sha256:${'1'.repeat(64)}`, digestPreserved: true, bytes: 2048, manifests: 1, blobs: { copied: 2, mounted: 1, skipped: 0 }, referrers: 0 },
});

describe('metric outputs', () => {
  test('Prometheus text: cumulative buckets with +Inf, _sum and _count, escaped label values', () => {
    const registry = new MetricsRegistry();
    const h = registry.histogram('lag_seconds', 'Lag.', [1, 10]);
    h.observe(0.5);
    h.observe(5);
    h.observe(50);
    registry.counter('gets_total', 'Gets.').inc({ registry: 'a"b\\c' }, 3);
    assert.equal(registry.render(), [
      '# HELP lag_seconds Lag.', '# TYPE lag_seconds histogram',
      'lag_seconds_bucket{le="1"} 1', 'lag_seconds_bucket{le="10"} 2', 'lag_seconds_bucket{le="+Inf"} 3', 'lag_seconds_sum 55.5', 'lag_seconds_count 3',
      '# HELP gets_total Gets.', '# TYPE gets_total counter', 'gets_total{registry="a\\"b\\\\c"} 3', '',
    ].join('\n'));
  });

  test('one embedded-metric-format line per task: lag from the push, queue wait from the send, every metric declared', () => {
    const line = JSON.parse(taskEmfLine(task, new Date('2026-12-01T10:00:10.000Z')));
    const directive = line._aws.CloudWatchMetrics[0];
    assert.equal(line._aws.Timestamp, Date.parse('2026-12-01T10:00:10.000Z'));
    assert.equal(directive.Namespace, 'crossdock');
    assert.deepEqual(directive.Dimensions, [['Status']]);
    assert.equal(line.Status, 'SUCCEEDED');
    assert.equal(line.ReplicationLag, 9);
    assert.equal(line.QueueWait, 0.5);
    assert.equal(line.BytesCopied, 2048);
    assert.deepEqual([line.BlobsCopied, line.BlobsMounted, line.BlobsSkipped], [2, 1, 0]);
    for (const metric of directive.Metrics) assert.equal(typeof line[metric.Name], 'number', metric.Name);
  });

  test('a failed task is dimensioned by its code and has no lag; manifest GETs flush per registry and reset', () => {
    const failed = { ...task, status: 'FAILED' as const, result: undefined, error: { code: 'MANIFEST_UNKNOWN', message: 'x' } };
    const line = JSON.parse(taskEmfLine(failed, new Date()));
    assert.deepEqual(line._aws.CloudWatchMetrics[0].Dimensions, [['Status', 'ErrorCode']]);
    assert.equal(line.ErrorCode, 'MANIFEST_UNKNOWN');
    assert.equal(line.ReplicationLag, undefined);
    const tally = createManifestGetTally();
    tally.count('docker.io');
    tally.count('docker.io');
    tally.count('ghcr.io');
    const lines = tally.flush(new Date()).map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.Registry, l.ManifestGets]), [['docker.io', 2], ['ghcr.io', 1]]);
    assert.deepEqual(tally.flush(new Date()), []);
  });
});
