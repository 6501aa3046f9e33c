#!/usr/bin/env node
// The `meerkat` command. The CLI lives in src/cli; this file only loads its compiled form.
import { main } from '../dist/src/cli/index.js';

main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
