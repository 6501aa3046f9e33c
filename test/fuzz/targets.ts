// Every fuzz target, by name: the list `npm test` runs bounded (fuzz.test.ts) and `npm run fuzz` runs
// for a time budget (scripts/fuzz.mjs).

import { handshakeTarget } from './handshake-target.js';
import { protoTargets } from './proto-targets.js';
import { requestTarget } from './request-target.js';
import { storageTargets } from './storage-targets.js';
import type { FuzzTarget } from './target.js';
import { zooCfgTarget } from './zoo-cfg-target.js';

export const fuzzTargets: readonly FuzzTarget[] = [...protoTargets, ...storageTargets, handshakeTarget, requestTarget, zooCfgTarget];

export { runTarget, type FuzzTarget, type RunOutcome } from './target.js';
