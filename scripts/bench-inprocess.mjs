// The write path without syscalls (a benchmark, not a test): request frames for 12 sessions × 8
// setData go through what the server's event loop does for them — frame decoding, prep, log-record
// encoding (into a TxnLog on the memory file system, never flushed), apply, reply encoding and the
// per-connection output copy — and it prints µs per write and the GC share. Profile it with
// `node --cpu-prof --no-turbo-inlining scripts/bench-inprocess.mjs` (inlining hides where time goes).
//   npm run build && node scripts/bench-inprocess.mjs [writes, default 300000]
import { PerformanceObserver } from 'node:perf_hooks';
import { ServerCore, defaultConfig } from '../dist/src/server/index.js';
import { FrameDecoder, JuteReader, JuteWriter, encodeFrame, readRequest, writeRequest, writeRequestHeader } from '../dist/src/proto/index.js';
import { MemoryFileSystem, TxnLog } from '../dist/src/storage/index.js';

const sessions = 12;
const outstanding = 8;
const keys = 10;
const writes = Number(process.argv[2] ?? 300_000);
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const value = Buffer.alloc(100, 1);

let gcMs = 0;
new PerformanceObserver((list) => { for (const entry of list.getEntries()) gcMs += entry.duration; }).observe({ entryTypes: ['gc'] });

const core = new ServerCore(defaultConfig(), { now: () => Date.now() });
const log = new TxnLog({ fs: new MemoryFileSystem(), dir: '/v2', preAllocBytes: 0, forceSync: false });
/** Logs what was prepared (encoding only) and reports it durable, as the driver does after a flush. */
function persist() {
  if (!core.hasUnpersisted) return;
  const batch = core.takeUnpersisted();
  for (const { header, txn } of batch) log.append(header, txn);
  log.batch.reset(); // never written: only the encoding is measured
  core.persisted(batch[batch.length - 1].header.zxid);
}

const reader = new JuteReader(Buffer.alloc(0));
const connections = [];
for (let s = 0; s < sessions; s++) {
  const output = Buffer.allocUnsafe(1 << 16);
  let queued = 0;
  const transport = {
    send(frame) { output.set(frame, queued); queued += frame.length; },
    close() {},
    outputBytes: 0, // taken at once by take(), as a socket that keeps up
    take() { const bytes = Buffer.allocUnsafe(queued); output.copy(bytes, 0, 0, queued); queued = 0; return bytes; },
  };
  const connection = core.openConnection(transport, '127.0.0.1', 1000 + s);
  core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
  const decoder = new FrameDecoder(1 << 20);
  const onFrame = (bytes, start, end) => {
    reader.reset(bytes, start, end);
    const xid = reader.int();
    const type = reader.int();
    core.request(connection, xid, readRequest(reader, type));
  };
  connections.push({ transport, decoder, onFrame });
}
persist();

const frame = (xid, request) => encodeFrame((writer) => {
  writeRequestHeader(writer, { xid, type: request.type });
  writeRequest(writer, request);
}, new JuteWriter(256));
connections[0].decoder.pushRanges(frame(1, { type: 1, path: '/b', data: value, acl: open, flags: 0 }), connections[0].onFrame);
persist();
connections.forEach((connection, s) => {
  const creates = Array.from({ length: keys }, (_, k) => frame(k + 2, { type: 1, path: `/b/s${s}k${k}`, data: value, acl: open, flags: 0 }));
  connection.decoder.pushRanges(Buffer.concat(creates), connection.onFrame);
  persist();
});
// One read's worth per session: its outstanding setData requests.
const reads = connections.map((_, s) => Buffer.concat(Array.from({ length: outstanding },
  (_, k) => frame(100 + k, { type: 5, path: `/b/s${s}k${k % keys}`, data: value, version: -1 }))));

const rounds = Math.ceil(writes / (sessions * outstanding));
for (const pass of ['warm-up', 'measured']) {
  gcMs = 0;
  const started = process.hrtime.bigint();
  for (let round = 0; round < rounds; round++) {
    connections.forEach((connection, s) => {
      connection.decoder.pushRanges(reads[s], connection.onFrame);
      if (s % 6 === 5) persist(); // two log flushes per round, as under load
    });
    for (const connection of connections) connection.transport.take();
  }
  const ns = Number(process.hrtime.bigint() - started);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const count = rounds * sessions * outstanding;
  console.log(`${pass}: ${(ns / count / 1000).toFixed(2)} us per write over ${count} writes; GC ${gcMs.toFixed(0)} ms (${((1e6 * gcMs * 100) / ns).toFixed(1)} %)`);
}
