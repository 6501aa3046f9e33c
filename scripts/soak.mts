// The soak (issue 15, item 5), not a test: a `meerkat start` process under a mixed load from several
// sessions, killed with SIGKILL and restarted every --kill-every seconds, for --minutes. After each
// restart every acknowledged write must be there as acknowledged (a write in flight at the kill may
// be either way, never half of a multi); each minute it prints the server's RSS, a bystander's
// getData round trip (p50/p99/max: the server's event-loop lag shows there) and the load acknowledged.
// At the end the served tree's digest must equal an independent recovery of the data directory.
//   npm run soak -- --minutes 60 [--kill-every 30] [--sessions 4] [--seed 1]
// Figures: docs/benchmarks.md, "Soak".

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { OpCode } from '../src/proto/index.js';
import { NodeFileSystem } from '../src/runtime/node-file-system.js';
import { recover } from '../src/storage/index.js';
import { DataTree } from '../src/tree/index.js';
import { Prng } from '../sim/prng.js';
import { sendFourLetterWord } from '../test/helpers/four-letter.js';
import { getFreePort } from '../test/helpers/ports.js';
import { RawClient } from '../test/helpers/raw-client.js';

const options = new Command()
  .option('--minutes <n>', 'how long to run', '10')
  .option('--kill-every <s>', 'seconds between SIGKILLs', '30')
  .option('--sessions <n>', 'load sessions', '4')
  .option('--seed <n>', 'seed of the load', '1')
  .parse()
  .opts();

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bin = join(process.cwd(), 'bin/meerkat.js');
const durationMs = Number(options.minutes) * 60_000;
const killEveryMs = Number(options.killEvery) * 1000;
const sessions = Number(options.sessions);
const prng = new Prng(Number(options.seed));
/** Keys per session that setData and delete work on (the rest of the load creates new nodes). */
const hotKeys = 200;
/** Keys per session that are created and deleted in turn (bounded, so the tree stays the same size). */
const ringKeys = 5000;
/** Writes one session keeps in flight. */
const inFlightMax = 16;

/** What the clients were told about a path: its data as acknowledged (null: deleted), and writes in flight. */
interface Expected {
  acknowledged: string | null;
  /** Outcomes of writes sent and not answered when the server died: each may or may not have applied. */
  inFlight: Array<string | null>;
}

const expected = new Map<string, Expected>();
let acknowledgedWrites = 0;

function expect(path: string): Expected {
  let entry = expected.get(path);
  if (entry === undefined) expected.set(path, (entry = { acknowledged: null, inFlight: [] }));
  return entry;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function startServer(config: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, 'start', '--config', config, '--port', String(port), '--log-level', 'warn'], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await sendFourLetterWord({ host: '127.0.0.1', port }, 'ruok')) === 'imok') return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start (exit ${child.exitCode})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** One session's load until `stop()`: creates, setData and deletes on its hot keys, getData, multis of two creates. */
function runSession(client: RawClient, index: number, cycle: number): { stop: () => void; done: Promise<void> } {
  let stopped = false;
  let counter = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (path: string, outcome: string | null, request: Parameters<RawClient['request']>[0], paths: string[] = [path]): void => {
    for (const each of paths) expect(each).inFlight.push(outcome);
    const sent = client.request(request).then((reply) => {
      for (const each of paths) {
        const entry = expect(each);
        entry.inFlight.splice(entry.inFlight.indexOf(outcome), 1);
        if (reply.header.err === 0) entry.acknowledged = outcome;
      }
      if (reply.header.err === 0) acknowledgedWrites++;
    }, () => {
      // The server died: this session stops sending (a client that fails fast would spin forever).
      stopped = true;
    });
    const tracked = sent.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  const done = (async () => {
    while (!stopped) {
      while (inFlight.size < inFlightMax && !stopped) {
        const roll = prng.int(0, 99);
        const hot = `/soak/s${index}-k${prng.int(0, hotKeys - 1)}`;
        const value = `c${cycle}-${counter++}`;
        const known = expected.get(hot);
        // A hot key changes only once no write to it is in flight, so its outcome is one of two.
        if (known !== undefined && known.inFlight.length > 0) continue;
        if (roll < 30) {
          // A bounded ring of keys created and deleted in turn: the tree (and the server's memory) stays flat.
          const ring = `/soak/r${index}-${prng.int(0, ringKeys - 1)}`;
          const state = expected.get(ring);
          if (state !== undefined && state.inFlight.length > 0) continue;
          if (state?.acknowledged == null) send(ring, value, { type: OpCode.create, path: ring, data: Buffer.from(value), acl: open, flags: 0 });
          else send(ring, null, { type: OpCode.delete, path: ring, version: -1 });
        } else if (roll < 60) {
          if (known?.acknowledged == null) send(hot, value, { type: OpCode.create, path: hot, data: Buffer.from(value), acl: open, flags: 0 });
          else send(hot, value, { type: OpCode.setData, path: hot, data: Buffer.from(value), version: -1 });
        } else if (roll < 70) {
          if (known?.acknowledged != null) send(hot, null, { type: OpCode.delete, path: hot, version: -1 });
        } else if (roll < 75) {
          // Two nodes made and removed together by one multi: never one without the other.
          const base = `/soak/m${index}-${prng.int(0, ringKeys / 10 - 1)}`;
          const pair = [`${base}-a`, `${base}-b`];
          const state = expected.get(pair[0]!);
          if (state !== undefined && state.inFlight.length > 0) continue;
          const present = state?.acknowledged != null;
          send(base, present ? null : value, {
            type: OpCode.multi,
            ops: present
              ? pair.map((path) => ({ type: OpCode.delete, path, version: -1 }))
              : pair.map((path) => ({ type: OpCode.create, path, data: Buffer.from(value), acl: open, flags: 0 })),
          }, pair);
        } else {
          const read = client.request({ type: OpCode.getData, path: hot, watch: false }).then(() => undefined, () => {
            stopped = true;
          });
          const tracked = read.finally(() => inFlight.delete(tracked));
          inFlight.add(tracked);
        }
      }
      if (inFlight.size > 0) await Promise.race(inFlight);
    }
    await Promise.allSettled([...inFlight]);
  })();
  return { stop: () => void (stopped = true), done };
}

/** Every path's data on the restarted server must be what was acknowledged, or the outcome of a write that was in flight. */
async function verify(port: number): Promise<{ checked: number; lost: string[] }> {
  const checker = await RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 });
  const lost: string[] = [];
  const entries = [...expected];
  for (let at = 0; at < entries.length; at += 500) {
    const replies = await Promise.all(entries.slice(at, at + 500).map(([path]) => checker.request({ type: OpCode.getData, path, watch: false })));
    replies.forEach((reply, index) => {
      const [path, entry] = entries[at + index]!;
      const found = reply.header.err === 0 && reply.response?.type === OpCode.getData ? Buffer.from(reply.response.data ?? []).toString() : null;
      const allowed = [entry.acknowledged, ...entry.inFlight];
      if (!allowed.includes(found)) lost.push(`${path}: found ${found}, acknowledged ${entry.acknowledged}`);
      // Whatever the server holds now is what the next cycle builds on.
      entry.acknowledged = found;
      entry.inFlight = [];
    });
  }
  checker.destroy();
  return { checked: entries.length, lost };
}

async function bystanderRoundTrips(port: number, count: number): Promise<number[]> {
  const client = await RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 });
  const trips: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await client.request({ type: OpCode.getData, path: '/soak', watch: false });
    trips.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  client.destroy();
  return trips.sort((a, b) => a - b);
}

const dir = mkdtempSync(join(tmpdir(), 'meerkat-soak-'));
const dataDir = join(dir, 'data');
const config = join(dir, 'zoo.cfg');
writeFileSync(config, `dataDir=${dataDir}\nsnapCount=20000\n4lw.commands.whitelist=*\n`);
const started = Date.now();
let port = await getFreePort();
let server = await startServer(config, port);
const setup = await RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 });
await setup.request({ type: OpCode.create, path: '/soak', data: Buffer.from('soak'), acl: open, flags: 0 });
setup.destroy();
console.log('minute  kills  RSS MB  bystander p50/p99/max ms  writes acknowledged  paths checked  lost');
let kills = 0;
let lostTotal = 0;
let checked = 0;
let nextReportMs = started + 60_000;
for (let cycle = 0; Date.now() - started < durationMs; cycle++) {
  const clients = await Promise.all(Array.from({ length: sessions }, () => RawClient.connect({ host: '127.0.0.1', port, replyTimeoutMs: 30_000 })));
  const loads = clients.map((client, index) => runSession(client, index, cycle));
  const cycleEnd = Math.min(Date.now() + killEveryMs, started + durationMs);
  while (Date.now() < cycleEnd) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, cycleEnd - Date.now())));
    if (Date.now() >= nextReportMs) {
      nextReportMs += 60_000;
      const trips = await bystanderRoundTrips(port, 50);
      const at = (share: number): string => trips[Math.min(trips.length - 1, Math.floor(share * trips.length))]!.toFixed(1);
      console.log(`${String(Math.round((Date.now() - started) / 60_000)).padStart(6)}  ${String(kills).padStart(5)}  ` +
        `${(rssBytes(server.pid!) / 1048576).toFixed(0).padStart(6)}  ${`${at(0.5)}/${at(0.99)}/${at(1)}`.padStart(24)}  ` +
        `${String(acknowledgedWrites).padStart(19)}  ${String(checked).padStart(13)}  ${lostTotal}`);
    }
  }
  if (Date.now() - started >= durationMs) {
    loads.forEach((load) => load.stop());
    await Promise.all(loads.map((load) => load.done));
    clients.forEach((client) => client.destroy());
    break;
  }
  server.kill('SIGKILL');
  await exited(server);
  kills++;
  loads.forEach((load) => load.stop());
  await Promise.all(loads.map((load) => load.done));
  clients.forEach((client) => client.destroy());
  port = await getFreePort();
  server = await startServer(config, port);
  const result = await verify(port);
  checked = result.checked;
  lostTotal += result.lost.length;
  if (result.lost.length > 0) console.error(`after kill ${kills}: ${result.lost.length} acknowledged writes lost, e.g. ${result.lost.slice(0, 3).join('; ')}`);
}

const final = await verify(port);
lostTotal += final.lost.length;
const mntr = await sendFourLetterWord({ host: '127.0.0.1', port }, 'mntr');
server.kill('SIGTERM');
await exited(server);
const served = /zk_tree_digest\t([0-9a-f]+)/.exec(mntr)?.[1];
const recovered = await recover({
  fs: new NodeFileSystem(), dataDir, dataLogDir: dataDir, createTree: (withSystemNodes) => new DataTree({ withSystemNodes }), warn: () => {},
});
const digestsEqual = recovered.tree.digest().toString(16) === served;
console.log(`${kills} kills in ${((Date.now() - started) / 60_000).toFixed(1)} min, ${acknowledgedWrites} writes acknowledged, ` +
  `${final.checked} paths checked, ${lostTotal} lost; served digest ${served} ${digestsEqual ? '=' : '!='} independent replay ${recovered.tree.digest().toString(16)}`);
rmSync(dir, { recursive: true, force: true });
process.exit(lostTotal === 0 && digestsEqual ? 0 : 1);
