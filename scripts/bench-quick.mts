// Quick A/B throughput and latency comparison (a benchmark, not a test): Apache ZooKeeper 3.8
// (fsync on, default settings) and Meerkat (fsync on, as a separate process) on this machine, the same
// closed-loop workloads alternated over rounds; medians and Meerkat/ZooKeeper ratios.
//   npm run build && node --import tsx scripts/bench-quick.mts [--rounds 3] [--seconds 5] [--json]
// Load: 12 sessions x 8 outstanding requests, 100-byte values, one key per session.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FrameDecoder, JuteReader, JuteWriter, OpCode, type Request, readReplyHeader, writeConnectRequest, writeRequest, writeRequestHeader,
} from '../src/proto/index.js';
import { sendFourLetterWord } from '../test/helpers/four-letter.js';
import { getFreePort } from '../test/helpers/ports.js';
import { startReferenceZooKeeper } from '../test/helpers/reference-zookeeper.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = flag('--rounds', 3);
const seconds = flag('--seconds', 5);
const sessions = 12;
const outstanding = 8;
const value = Buffer.alloc(100, 1);
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

interface Result { opsPerSecond: number; p50Us: number; p99Us: number; serverCpuUsPerOp: number; rssMb: number; loadCpuPct: number }

function frame(fill: (writer: JuteWriter) => void): Buffer {
  const writer = new JuteWriter(256);
  writer.int(0);
  fill(writer);
  writer.patchInt(0, writer.position - 4);
  return writer.toBuffer();
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

async function runSession(port: number, index: number, mode: 'read' | 'write', deadline: number, latencies: number[]): Promise<number> {
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const decoder = new FrameDecoder();
  const path = `/bench-${index}`;
  const sentAt = new Map<number, bigint>();
  let xid = 1;
  let done = 0;
  let handshaken = false;
  const send = (): void => {
    const request: Request = mode === 'read' ? { type: OpCode.getData, path, watch: false } : { type: OpCode.setData, path, data: value, version: -1 };
    const id = xid++;
    sentAt.set(id, process.hrtime.bigint());
    socket.write(frame((writer) => { writeRequestHeader(writer, { xid: id, type: request.type }); writeRequest(writer, request); }));
  };
  return new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => decoder.push(chunk, (payload) => {
      if (!handshaken) {
        handshaken = true;
        socket.write(frame((writer) => {
          writeRequestHeader(writer, { xid: xid++, type: OpCode.create });
          writeRequest(writer, { type: OpCode.create, path, data: value, acl: open, flags: 0 });
        }));
        return;
      }
      const header = readReplyHeader(new JuteReader(payload));
      if (header.xid === 1) {
        for (let i = 0; i < outstanding; i++) send();
        return;
      }
      const started = sentAt.get(header.xid);
      sentAt.delete(header.xid);
      if (started !== undefined) latencies.push(Number(process.hrtime.bigint() - started) / 1000);
      done++;
      if (Date.now() < deadline) send();
      else if (sentAt.size === 0) {
        socket.destroy();
        resolve(done);
      }
    }));
    socket.write(frame((writer) => writeConnectRequest(writer, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false })));
  });
}

async function measure(port: number, pid: number, mode: 'read' | 'write'): Promise<Result> {
  const latencies: number[] = [];
  const ticksBefore = cpuTicks(pid);
  const cpuBefore = process.cpuUsage();
  const started = Date.now();
  const counts = await Promise.all(Array.from({ length: sessions }, (_v, i) => runSession(port, i, mode, Date.now() + seconds * 1000, latencies)));
  const elapsedMs = Date.now() - started;
  const ops = counts.reduce((a, b) => a + b, 0);
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    opsPerSecond: ops / (elapsedMs / 1000),
    p50Us: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99Us: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    serverCpuUsPerOp: ((cpuTicks(pid) - ticksBefore) * 10_000) / ops,
    rssMb: rssMb(pid),
    loadCpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
  };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'meerkat-bench-quick-'));
const zk = await startReferenceZooKeeper({ dataDir: join(dir, 'zk') });
const { execFileSync } = await import('node:child_process');
const zkPid = Number(execFileSync('pgrep', ['-f', 'ZooKeeperServerMain'], { encoding: 'utf8' }).trim().split('\n')[0]);
const meerkatPort = await getFreePort();
const meerkat = spawn(process.execPath, ['bin/meerkat.js', 'start', '--port', String(meerkatPort), '--data-dir', join(dir, 'meerkat'), '--log-level', 'warn'], { stdio: 'ignore' });
for (let i = 0; i < 200; i++) {
  try {
    if ((await sendFourLetterWord({ host: '127.0.0.1', port: meerkatPort }, 'ruok')) === 'imok') break;
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const results: Record<string, Record<string, Result[]>> = { zookeeper: { read: [], write: [] }, meerkat: { read: [], write: [] } };
try {
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['read', 'write'] as const) {
      results.zookeeper![mode]!.push(await measure(zk.port, zkPid, mode));
      results.meerkat![mode]!.push(await measure(meerkatPort, meerkat.pid!, mode));
    }
  }
} finally {
  meerkat.kill('SIGTERM');
  await zk.stop();
  rmSync(dir, { recursive: true, force: true });
}

const summary = (['read', 'write'] as const).map((mode) => {
  const pick = (server: string, key: keyof Result): number => median(results[server]![mode]!.map((r) => r[key]));
  const row = (key: keyof Result) => ({ zookeeper: pick('zookeeper', key), meerkat: pick('meerkat', key), ratio: pick('meerkat', key) / pick('zookeeper', key) });
  return { mode, opsPerSecond: row('opsPerSecond'), p50Us: row('p50Us'), p99Us: row('p99Us'), serverCpuUsPerOp: row('serverCpuUsPerOp'), rssMb: row('rssMb'), loadCpuPct: row('loadCpuPct') };
});
if (args.includes('--json')) console.log(JSON.stringify(summary));
else {
  console.log(`${rounds} rounds x ${seconds}s, ${sessions} sessions x ${outstanding} outstanding, 100-byte values, medians (ratio = Meerkat / ZooKeeper)`);
  for (const row of summary) {
    for (const key of ['opsPerSecond', 'p50Us', 'p99Us', 'serverCpuUsPerOp', 'rssMb', 'loadCpuPct'] as const) {
      const cell = row[key];
      console.log(`${row.mode.padEnd(6)} ${key.padEnd(17)} zookeeper ${cell.zookeeper.toFixed(1).padStart(10)}  meerkat ${cell.meerkat.toFixed(1).padStart(10)}  ratio ${cell.ratio.toFixed(2)}`);
    }
  }
}
process.exit(0);
