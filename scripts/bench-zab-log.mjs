// ZAB log window micro-benchmark (not a test): µs per call of the window's lookups at 10^3 to 10^6
// entries of 100 bytes, in epochs of 10^4 txns whose counters start at 1 (gaps across epochs):
//   commit   range(last-1, last)       what commitUpTo asks per COMMIT
//   diff100  range(mid, mid+100)       a learner's DIFF of 100 txns from the middle of the window
//   has      has(mid)                  the sync decision (DIFF when the learner's zxid is ours)
//   floor    floor(a zxid in a gap)    the TRUNC point for a learner with a zxid we never had
//   npm run build && node scripts/bench-zab-log.mjs [--dist <dir>] [--sizes 1000,10000,100000,1000000]
// --dist points at another build (e.g. main's) to measure the window there: the "before" figures.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const dist = resolve(option('--dist', new URL('../dist', import.meta.url).pathname));
const sizes = option('--sizes', '1000,10000,100000,1000000').split(',').map(Number);
const { ZabLog } = await import(pathToFileURL(`${dist}/src/zab/zab-log.js`).href);
const { makeZxid } = await import(pathToFileURL(`${dist}/src/util/index.js`).href);

const epochTxns = 10_000;
const data = new Uint8Array(100);
/** The previous window took (base, entries); the bounded one takes an options object. */
const emptyLog = () => (ZabLog.length >= 2 ? new ZabLog(0, []) : new ZabLog({ baseZxid: 0 }));

function fill(size) {
  const log = emptyLog();
  const zxids = [];
  for (let index = 0; index < size; index++) {
    const zxid = makeZxid(1 + Math.floor(index / epochTxns), 1 + (index % epochTxns));
    log.append({ zxid, data });
    zxids.push(zxid);
  }
  return { log, zxids };
}

/** µs per call: repeats `call` until 200 ms have passed (at least 5 times), after a warm-up. */
function measure(call) {
  for (let index = 0; index < 5; index++) call();
  let calls = 0;
  let sink = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < 200 || calls < 5) {
    for (let index = 0; index < 100; index++) sink += call();
    calls += 100;
    elapsed = performance.now() - started;
  }
  if (sink === -1) console.log('unreachable');
  return (elapsed * 1000) / calls;
}

const format = (us) => (us >= 100 ? us.toFixed(0) : us >= 1 ? us.toFixed(1) : us.toFixed(3));
console.log(`window: ${dist}`);
console.log('entries    commit µs  diff100 µs     has µs   floor µs');
for (const size of sizes) {
  const { log, zxids } = fill(size);
  const last = zxids[size - 1];
  const middle = Math.floor(size / 2);
  const from = zxids[middle];
  const to = zxids[Math.min(size - 1, middle + 100)];
  // A zxid of the previous epoch's tail that we never logged (counter past the epoch's end).
  const gap = makeZxid(Math.max(1, Math.floor(middle / epochTxns)), epochTxns + 5);
  const row = [
    measure(() => log.range(zxids[size - 2] ?? 0, last).length),
    measure(() => log.range(from, to).length),
    measure(() => (log.has(from) ? 1 : 0)),
    measure(() => log.floor(gap)),
  ];
  console.log(`${String(size).padStart(7)} ${row.map((us) => format(us).padStart(10)).join(' ')}`);
}
