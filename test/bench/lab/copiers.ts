import { writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { RegistryTarget } from '../../support/registry-client.ts';
import type { CopyMapping } from './verify.ts';
import type { SeededWorkload } from './workloads.ts';

// The two copiers as a user runs them, on the same workload: `skopeo sync` from a YAML source list
// (the anchor) and `crossdock sync` through `npm run crossdock` with an image-syncer config.

export const COPIERS = ['skopeo', 'crossdock'] as const;
export type Copier = (typeof COPIERS)[number];
export const DESTINATION_NAMESPACE = 'mirror';

export type PreparedCopy = { command: string; args: string[]; mappings: CopyMapping[] };

/** Where skopeo sync puts a repository without --scoped: the destination namespace plus its last path component. */
export function destinationRepository(source: string): string {
  return `${DESTINATION_NAMESPACE}/${posix.basename(source)}`;
}

function hostOf(reg: RegistryTarget): string {
  return new URL(reg.url).host;
}

/**
 * Write the copier's configuration into `dir` and return its command line and what it must copy.
 * skopeo is given the image tags (it copies neither signature tags nor the referrers tag schema);
 * crossdock is given whole repositories (all tags) and so also copies those, which verify checks.
 */
export async function prepareCopy(copier: Copier, workload: SeededWorkload, source: RegistryTarget, destination: RegistryTarget, dir: string): Promise<PreparedCopy> {
  const src = hostOf(source);
  const dst = hostOf(destination);
  if (copier === 'skopeo') {
    const lines = [`${src}:`, '  tls-verify: false', '  images:'];
    for (const r of workload.repositories) lines.push(`    ${r.repository}:`, ...r.tags.map((t) => `      - ${JSON.stringify(t)}`));
    const file = posix.join(dir, `skopeo-${workload.name}.yml`);
    await writeFile(file, `${lines.join('\n')}\n`);
    return {
      command: 'skopeo',
      args: ['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', '--all', '--preserve-digests', '--retry-times', '3', file, `${dst}/${DESTINATION_NAMESPACE}`],
      mappings: workload.repositories.map((r) => ({ source: r.repository, destination: destinationRepository(r.repository), tags: r.tags })),
    };
  }
  const config = {
    auth: { [src]: { insecure: true }, [dst]: { insecure: true } },
    images: Object.fromEntries(workload.repositories.map((r) => [`${src}/${r.repository}`, `${dst}/${destinationRepository(r.repository)}`])),
  };
  const file = posix.join(dir, `crossdock-${workload.name}.json`);
  await writeFile(file, `${JSON.stringify(config, null, 1)}\n`);
  return {
    command: 'npm',
    args: ['run', '-s', 'crossdock', '--', 'sync', '--config', file],
    mappings: workload.repositories.map((r) => ({ source: r.repository, destination: destinationRepository(r.repository), tags: [...r.tags, ...r.artifactTags] })),
  };
}

/** The environment both copiers run in: no proxy may take loopback traffic elsewhere. */
export function copierEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(env).filter(([k]) => !/^(https?|all|ftp)_proxy$/i.test(k)));
  return { ...clean, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' };
}
