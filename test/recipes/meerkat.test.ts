// The recipe suite (recipe-suite.ts) against Meerkat, configured like the reference ZooKeeper (tick
// 100 ms, session timeouts from 400 ms) so the session tests run quickly.

import { startMeerkat } from '../helpers/server-fixture.js';
import { recipeSuite } from './recipe-suite.js';

recipeSuite({
  name: 'Meerkat',
  skip: false,
  start: () => startMeerkat({ tickTimeMs: 100, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 20_000 }),
});
