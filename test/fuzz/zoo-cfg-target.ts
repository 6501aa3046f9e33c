// Fuzz target of zoo.cfg parsing (src/runtime/zoo-cfg.ts): random lines — known keys with random
// values, unknown keys (also Object.prototype's names), junk, comments, CRLF — never crash: they
// give a configuration or a ConfigError. A bad value of one known key gives an error naming that key,
// and an accepted configuration is one the server can run with (every timer period within what
// setInterval accepts, ports and counts in range).

import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ServerConfig } from '../../src/server/index.js';
import { ConfigError, configFromEntries, parseZooCfgText } from '../../src/runtime/zoo-cfg.js';
import { pureTarget } from './target.js';

const knownKeys = [
  'tickTime', 'dataDir', 'dataLogDir', 'clientPort', 'clientPortAddress', 'minSessionTimeout', 'maxSessionTimeout',
  'maxClientCnxns', 'globalOutstandingLimit', 'jute.maxbuffer', '4lw.commands.whitelist',
  'DigestAuthenticationProvider.superDigest', 'znode.container.checkIntervalMs', 'extendedTypesEnabled', 'snapCount',
  'forceSync', 'preAllocSize', 'autopurge.snapRetainCount', 'autopurge.purgeInterval', 'myid',
];
const trickyKeys = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'server.1', 'initLimit'];

const value = fc.oneof(
  fc.integer({ min: -10, max: 100_000 }).map(String),
  fc.constantFrom('0', '-1', '2147483647', '2147483648', '99999999999999999999', '1e3', '0x10', ' 7 ', '', 'true', 'no', 'YES', '1.5', '+5', '٣'),
  fc.string({ maxLength: 12 }),
);
const key = fc.oneof(fc.constantFrom(...knownKeys), fc.constantFrom(...trickyKeys), fc.string({ maxLength: 10 }));
const line = fc.oneof(
  fc.tuple(key, value).map(([name, text]) => `${name}=${text}`),
  fc.tuple(key, value).map(([name, text]) => ` ${name} = ${text}\r`),
  fc.constantFrom('', '# comment', '   ', '=value', 'novalue', '#key=value'),
  fc.string({ maxLength: 20 }),
);

/** Node's timers take periods in [1, 2^31 - 1] ms; anything else silently becomes 1 ms. */
const timerPeriodMsMax = 2 ** 31 - 1;

function assertRunnable(config: ServerConfig): void {
  for (const [name, number] of Object.entries(config)) {
    if (typeof number === 'number') assert.ok(Number.isSafeInteger(number), `${name} = ${number}`);
  }
  assert.ok(config.tickTimeMs >= 1 && config.tickTimeMs <= timerPeriodMsMax, `tickTime ${config.tickTimeMs}`);
  assert.ok(config.containerCheckIntervalMs >= 1 && config.containerCheckIntervalMs <= timerPeriodMsMax, `container check ${config.containerCheckIntervalMs}`);
  assert.ok(config.autopurgePurgeIntervalHours >= 0 && config.autopurgePurgeIntervalHours * 3_600_000 <= timerPeriodMsMax, `purge interval ${config.autopurgePurgeIntervalHours} h`);
  assert.ok(config.port >= 0 && config.port <= 65535, `port ${config.port}`);
  assert.ok(config.minSessionTimeoutMs >= 0 && config.minSessionTimeoutMs <= config.maxSessionTimeoutMs, 'session timeout bounds');
  assert.ok(config.maxFrameBytes >= 1, `jute.maxbuffer ${config.maxFrameBytes}`);
  assert.ok(config.maxClientConnections >= 0 && config.globalOutstandingLimit >= 1, 'connection limits');
  assert.ok(config.snapCount >= 1 && config.preAllocBytes >= 0 && config.autopurgeSnapRetainCount >= 3, 'storage settings');
  assert.ok(config.serverId >= 0 && config.serverId <= 255, `myid ${config.serverId}`);
}

export const zooCfgTarget = pureTarget({
  name: 'zoo-cfg',
  claim: 'random zoo.cfg lines give a runnable configuration or a ConfigError, naming the key for a bad value',
  ciRuns: 3000,
  property: () => fc.property(fc.array(line, { maxLength: 8 }), fc.tuple(fc.constantFrom(...knownKeys), value), (lines, [badKey, badValue]) => {
    try {
      assertRunnable(configFromEntries(parseZooCfgText(lines.join('\n'))));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
    }
    // One known key alone: accepted, or refused by name.
    try {
      assertRunnable(configFromEntries(new Map([[badKey, badValue.trim()]])));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      assert.ok(error.message.includes(badKey), `the error for ${badKey}=${badValue} does not name it: ${error.message}`);
    }
  }),
});
