import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { SAMPLE_FILES, SAMPLES_DIR } from './samples.ts';

test('the samples folder holds exactly the payloads the webhook suites exercise', () => {
  const present = readdirSync(SAMPLES_DIR).filter((name) => name.endsWith('.json')).sort();

  assert.deepEqual(present, [...SAMPLE_FILES].sort());
});
