// Seeded crash simulation on the in-memory disk: a writer logs random batches (one fsync each) and
// takes snapshots, then the power fails at a random moment — between batches, with part of an
// unsynced batch on its way to the disk, or in the middle of writing a snapshot. Recovery must
// return exactly the tree of some zxid between the last acknowledged one and the last appended one
// (a torn batch keeps whole records that reached the disk), and logging must continue after it.
// A failure prints its seed; `SEED=<n>` replays only that seed.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode, type Txn, type TxnHeader } from '../proto/index.js';
import { DataTree, applyTxn } from '../tree/index.js';
import { snapshotTempFileName } from './data-dir.js';
import { MemoryFileSystem } from './memory-file-system.js';
import { recover } from './recovery.js';
import { serializeSnapshot, writeSnapshotFile } from './snapshot-writer.js';
import { TxnLog } from './txn-log.js';

const dir = '/data/version-2';
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const seeds = process.env.SEED !== undefined ? [Number(process.env.SEED)] : Array.from({ length: 120 }, (_, index) => index + 1);
const stepsMax = 40;

/** A small deterministic PRNG (LCG): the whole run follows from the seed. */
function prng(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % bound;
  };
}

class Server {
  readonly tree = new DataTree();
  /** The tree digest after each zxid: what recovery must reproduce. */
  readonly digestAt = new Map<number, bigint>();
  log: TxnLog;
  zxid = 0;

  constructor(readonly fs: MemoryFileSystem, private readonly random: (bound: number) => number) {
    this.log = new TxnLog({ fs, dir, preAllocBytes: 512, forceSync: true });
    this.digestAt.set(0, this.tree.digest());
  }

  /** A valid txn against the current tree: create, setData or delete of a leaf. */
  private nextTxn(): Txn {
    const name = `/k${this.random(12)}`;
    const node = this.tree.getNode(name);
    if (node === undefined) {
      return { type: OpCode.create, path: name, data: Buffer.alloc(this.random(40), this.zxid % 256), acl: open, ephemeral: false, parentCVersion: this.tree.getNode('/')!.cversion + 1 };
    }
    if (this.random(3) === 0) return { type: OpCode.delete, path: name };
    return { type: OpCode.setData, path: name, data: Buffer.from(`v${this.zxid}`), version: node.version + 1 };
  }

  /** Appends a batch and applies it (the apply happens after the flush in a server; the order does not matter here). */
  appendBatch(log: TxnLog = this.log): void {
    const count = 1 + this.random(5);
    for (let i = 0; i < count; i++) {
      const txn = this.nextTxn();
      const header: TxnHeader = { sessionId: 1n, cxid: i, zxid: ++this.zxid, time: 1000 + this.zxid, type: txn.type };
      applyTxn(this.tree, header, txn);
      this.digestAt.set(this.zxid, this.tree.digest());
      log.append(header, txn, { version: 2, treeDigest: this.tree.digest() });
    }
  }
}

async function runSeed(seed: number): Promise<void> {
  const random = prng(seed);
  const fs = new MemoryFileSystem();
  await recover({ fs, dataDir: '/data', dataLogDir: '/data', createTree: (system) => new DataTree({ withSystemNodes: system }), warn: () => {}, writeInitialSnapshot: true });
  const server = new Server(fs, random);
  const steps = 1 + random(stepsMax);
  for (let step = 0; step < steps; step++) {
    if (random(6) === 0) {
      server.log.roll();
      await writeSnapshotFile(server.tree, { fs, dir, sessions: new Map(), zxid: server.zxid, nodesPerChunk: 2 });
    } else {
      server.appendBatch();
      await server.log.flush();
    }
  }
  const acknowledged = server.zxid;
  const ending = random(3);
  if (ending === 1) {
    // A batch written but not synced: part of it reaches the disk.
    const unsynced = new TxnLog({ fs, dir, preAllocBytes: 512, forceSync: false, lastZxid: server.zxid });
    server.appendBatch(unsynced);
    await unsynced.flush();
  } else if (ending === 2) {
    // A snapshot being written when the power fails.
    const file = await fs.open(`${dir}/${snapshotTempFileName(server.zxid)}`);
    let position = 0;
    for (const chunk of serializeSnapshot(server.tree, { sessions: new Map(), zxid: server.zxid, nodesPerChunk: 2 })) {
      await file.write(chunk, position);
      position += chunk.length;
      if (random(3) === 0) break;
    }
  }
  fs.crash(random(400));
  const state = await recover({ fs, dataDir: '/data', dataLogDir: '/data', createTree: (system) => new DataTree({ withSystemNodes: system }), warn: () => {} });
  assert.ok(state.lastZxid >= acknowledged && state.lastZxid <= server.zxid, `zxid ${state.lastZxid} outside [${acknowledged}, ${server.zxid}]`);
  assert.equal(state.tree.digest(), server.digestAt.get(state.lastZxid), `tree at zxid ${state.lastZxid}`);
  assert.equal(state.digestMismatches, 0);
  // Logging continues where recovery left off, and a second recovery sees it.
  const log = new TxnLog({ fs, dir, preAllocBytes: 512, forceSync: true, lastZxid: state.lastZxid });
  const txn: Txn = { type: OpCode.create, path: '/after', data: Buffer.from('a'), acl: open, ephemeral: false, parentCVersion: 1000 };
  log.append({ sessionId: 1n, cxid: 0, zxid: state.lastZxid + 1, time: 1, type: txn.type }, txn);
  await log.flush();
  const again = await recover({ fs, dataDir: '/data', dataLogDir: '/data', createTree: (system) => new DataTree({ withSystemNodes: system }), warn: () => {} });
  assert.deepEqual([again.lastZxid, again.tree.getNode('/after') !== undefined], [state.lastZxid + 1, true]);
}

describe('crash simulation (seeded)', () => {
  it(`recovers an acknowledged prefix after a power cut at a random moment (${seeds.length} seeds)`, async () => {
    for (const seed of seeds) {
      try {
        await runSeed(seed);
      } catch (error) {
        throw new Error(`seed=${seed} failed (replay: SEED=${seed} node --import tsx --test src/storage/crash-simulation.test.ts): ${(error as Error).message}`, { cause: error });
      }
    }
  });
});
