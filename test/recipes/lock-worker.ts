// A child process for the cross-process lock test: acquires and releases one Lock `iterations`
// times, appending "enter <token> <pid>" after each acquire and "exit <token> <pid>" before each
// release to a shared file (appends are atomic, so the file's order is the order of events).
// Usage: node lock-worker.js <connectString> <lockPath> <iterations> <logPath>

import { appendFileSync } from 'node:fs';
import { ZooKeeperClient } from '../../src/client/index.js';
import { Lock } from '../../src/recipes/lock.js';

const [connectString, lockPath, iterationsText, logPath] = process.argv.slice(2);
if (connectString === undefined || lockPath === undefined || iterationsText === undefined || logPath === undefined) {
  throw new Error('usage: lock-worker <connectString> <lockPath> <iterations> <logPath>');
}
const iterations = Number(iterationsText);

const client = await ZooKeeperClient.connect(connectString, { sessionTimeoutMs: 10_000 });
try {
  const lock = new Lock(client, lockPath);
  for (let iteration = 0; iteration < iterations; iteration++) {
    const handle = await lock.acquire({ timeoutMs: 20_000 });
    appendFileSync(logPath, `enter ${handle.fencingToken} ${process.pid}\n`);
    await new Promise((resolve) => setTimeout(resolve, 5));
    appendFileSync(logPath, `exit ${handle.fencingToken} ${process.pid}\n`);
    await handle.release();
  }
} finally {
  await client.close();
}
