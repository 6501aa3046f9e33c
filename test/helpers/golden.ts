// Golden-trace comparison for scenario tests: a run's trace must equal the file checked in under a
// repository directory. Tests run from dist/, so the directory is found from the repository root
// (npm runs in it). REWRITE_GOLDEN=1 rewrites the files instead; review the diff before committing.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function matchesGolden(directory: string, name: string, trace: readonly string[]): void {
  const root = join(process.cwd(), directory);
  const file = join(root, `${name}.txt`);
  const actual = `${trace.join('\n')}\n`;
  if (process.env.REWRITE_GOLDEN === '1') {
    mkdirSync(root, { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `no golden trace ${directory}/${name}.txt: run with REWRITE_GOLDEN=1 and review it`);
  assert.equal(actual, readFileSync(file, 'utf8'), `trace of ${name} changed: if intended, regenerate with REWRITE_GOLDEN=1`);
}
