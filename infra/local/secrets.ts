/**
 * Secrets the runtime makes for itself when none are configured: an API key and a webhook token,
 * random, kept in the data directory (mode 0600) so they survive restarts. Logs name the file,
 * never the value.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export async function generatedSecret(dataDir: string, name: string): Promise<{ value: string; file: string }> {
  const file = join(dataDir, name);
  try {
    const value = (await readFile(file, 'utf8')).trim();
    if (value !== '') return { value, file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const value = randomBytes(24).toString('base64url');
  await writeFile(file, value + '\n', { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return { value: (await readFile(file, 'utf8')).trim(), file };
}
