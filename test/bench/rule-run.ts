/**
 * A rule run over many repositories × tags, as an execution: how fast `POST /rules/:id/run`
 * answers, and whether the execution ends with the right counts. Real registries on loopback,
 * the embedded DynamoDB and SQS, the pipeline of test/functions/harness.ts.
 *
 *   npm run bench:rule-run -- --repositories 200 --tags 20
 *
 * Prints one JSON line. The source holds one small image per repository, tagged `--tags` times
 * (manifests pushed directly), so building the namespace is quick.
 */
import { parseArgs } from 'node:util';
import { startHarness } from '../functions/harness.ts';
import { closeRegistryClients, pushImage, pushManifest } from '../support/images.ts';
import { startRegistry } from '../support/registry.ts';

const { values } = parseArgs({ options: { repositories: { type: 'string', default: '200' }, tags: { type: 'string', default: '20' } } });
const repositories = Number(values.repositories);
const tags = Number(values.tags);

const [src, dst] = await Promise.all([startRegistry({ name: 'bench-run-src' }), startRegistry({ name: 'bench-run-dst' })]);
const h = await startHarness({ declare: [src.host, dst.host] });
try {
  const names = Array.from({ length: repositories }, (_, i) => `team/app-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map(async (repository) => {
      const image = await pushImage(src, repository, { tag: 't0', seed: 'bench-rule-run', layers: 1, layerSize: 64 });
      for (let t = 1; t < tags; t++) await pushManifest(src, repository, `t${t}`, image.bytes, image.mediaType);
    }));
  }
  const rule = (await h.api('POST', '/rules', { name: 'bench', source: { registry: src.host, namespace: 'team' }, destinations: [{ registry: dst.host, namespace: 'mirror' }] })).body;
  const started = performance.now();
  const res = await h.api('POST', `/rules/${rule.id}/run`);
  const answeredMs = Math.round(performance.now() - started);
  console.error(JSON.stringify({ answered: res.status, answeredMs }));
  if (res.status !== 202) throw new Error(`run answered ${res.status}: ${JSON.stringify(res.body)}`);
  await h.drain({ idleMs: 3000, maxMs: 3_600_000 });
  const execution = (await h.api('GET', `/executions/${res.body.execution.id}`)).body;
  console.log(JSON.stringify({
    repositories, tags, status: res.status, answeredMs,
    executionSeconds: Math.round((Date.parse(execution.finishedAt ?? new Date().toISOString()) - Date.parse(execution.startedAt)) / 100) / 10,
    executionStatus: execution.status, tasks: execution.tasks, counts: execution.counts, expansion: execution.expansion,
  }));
} finally {
  await h.close();
  await Promise.all([src.close(), dst.close()]);
  await closeRegistryClients();
}
