/**
 * image-syncer's `--output-success-images FILE`: the images now at their destinations, as an
 * images file (`source: [destination, ...]`) in YAML (its default) or JSON, so a later run can
 * be fed exactly what succeeded. Copied and up-to-date images count; skipped and planned do not.
 */
import { writeFile } from 'node:fs/promises';
import { InvalidInputError } from '../../shared/errors.ts';
import type { CopyResult } from '../../shared/oci/copy.ts';

export type ImagesFormat = 'yaml' | 'json';

export function parseImagesFormat(value: string | undefined): ImagesFormat {
  if (value === undefined || value === 'yaml' || value === 'json') return value ?? 'yaml';
  throw new InvalidInputError('FLAG_INVALID', `--output-images-format takes yaml or json, got "${value}"`);
}

export async function writeSuccessImages(path: string, format: ImagesFormat, results: CopyResult[]): Promise<void> {
  const images: Record<string, string[]> = {};
  for (const r of results) {
    if (r.status !== 'copied' && r.status !== 'up-to-date') continue;
    const list = (images[r.source] ??= []);
    if (!list.includes(r.destination)) list.push(r.destination);
  }
  let text: string;
  if (format === 'json') {
    text = JSON.stringify(images, null, 2) + '\n';
  } else {
    const yaml = await import('yaml');
    // Bundled, the CommonJS build of `yaml` arrives as the default export.
    const stringify = yaml.stringify ?? (yaml as unknown as { default: typeof yaml }).default.stringify;
    text = stringify(images);
  }
  try {
    await writeFile(path, text);
  } catch (error) {
    throw new InvalidInputError('OUTPUT_UNWRITABLE', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}
