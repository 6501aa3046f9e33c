// Differential test at scale (issue 14): Meerkat against Apache ZooKeeper 3.8, compared node by node.
//
// 1. Reproduction: create /after/n000000 … /after/n001999 with small values, setData every third
//    once, read every node back: data and every stat field must equal the expected values on each
//    server, and the two servers must agree field by field. (Meerkat lost stat writes whenever a
//    setter grew the stat columns, at 256, 512, 1024… records.)
// 2. A seeded sequence (scale-sequence.ts: ≥ 20,000 operations, 30,000 by default) over thousands of
//    nodes under many parents, with five sessions, runs on both servers; every reply (error code and
//    body) and then the whole tree (data, ACL, every stat field) are compared. Zxids are shown as
//    the index of the operation that produced them and times as "during the run" (scale-run.ts).
// 3. Both servers stop; Meerkat starts on a copy of ZooKeeper's data directory and ZooKeeper on a
//    copy of Meerkat's, and each must serve exactly the tree the other served — raw fields, no
//    normalisation.
//
// Replay: a failure prints its seed and this command:
//   MEERKAT_DIFF_SEED=<seed> npm test -- differential-scale
// MEERKAT_DIFF_OPS=<n> changes the operation count; MEERKAT_DIFF_KNOWN=nullData,badPaths,ttlAboveMax,
// quotaStats (or "none", "all") chooses which known-difference parts `knownParts` below runs;
// MEERKAT_DIFF_REPORT=<file> appends every difference to that file as JSON lines.
//
// Both servers run with forceSync off: the sequence is 30,000 writes and the test is about the tree,
// not durability; fsync on this shared machine would multiply the runtime.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode, type Request } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { type ReferenceZooKeeper, referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';
import type { PipelinedNode } from '../helpers/tree-dump.js';
import {
  type Endpoint, type Normaliser, type RunRecord, compareReplies, compareTrees, dropConnections, dumpServer, modelDisagreements,
  rawNormaliser, report, runNormaliser, runSequence,
} from './scale-run.js';
import { type KnownPart, type Step, generateSequence, openAcl } from './scale-sequence.js';

/**
 * Known differences other engineers are fixing: each is a separate part of the sequence, in its own
 * subtree. Turn a part on when its fix lands. On by default: null data, bad path characters, TTL bounds.
 *   nullData    — ZooKeeper keeps "no data" (a -1 length buffer) apart from empty and returns null.
 *   badPaths    — ZooKeeper rejects U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF, U+FFF0–U+FFFF.
 *   ttlAboveMax — a TTL above ZooKeeper's 2^40 - 1 ms must be BADARGUMENTS.
 *   quotaStats  — ZooKeeper keeps /zookeeper/quota/…/zookeeper_stats up to date.
 */
const knownParts: Record<KnownPart, boolean> = { nullData: true, badPaths: true, ttlAboveMax: true, quotaStats: true };

function partsFromEnvironment(value: string | undefined): Record<KnownPart, boolean> {
  if (value === undefined) return knownParts;
  const names = value === 'all' ? Object.keys(knownParts) : value === 'none' ? [] : value.split(',').map((name) => name.trim());
  for (const name of names) if (!(name in knownParts)) throw new Error(`MEERKAT_DIFF_KNOWN: unknown part ${name}`);
  return Object.fromEntries(Object.keys(knownParts).map((name) => [name, names.includes(name)])) as Record<KnownPart, boolean>;
}

const seed = Number(process.env.MEERKAT_DIFF_SEED ?? 14);
const operations = Number(process.env.MEERKAT_DIFF_OPS ?? 30_000);
const parts = partsFromEnvironment(process.env.MEERKAT_DIFF_KNOWN);
const enabledParts = Object.entries(parts).filter(([, on]) => on).map(([name]) => name);
const replay = `MEERKAT_DIFF_SEED=${seed} MEERKAT_DIFF_OPS=${operations} MEERKAT_DIFF_KNOWN=${enabledParts.join(',') || 'none'} npm test -- differential-scale`;

/** Long enough that no container or TTL node is reaped while the test runs (it would race the comparison). */
const reaperIntervalMs = 3_600_000;
const zooKeeperOptions = (dataDir: string) => ({
  dataDir,
  config: { forceSync: 'no', snapCount: '8000' },
  jvmOptions: ['-Xmx512m', `-Dznode.container.checkIntervalMs=${reaperIntervalMs}`],
});
const meerkatConfig = { forceSync: false, snapCount: 8000, containerCheckIntervalMs: reaperIntervalMs };

// ---- 1. the reproduction ----------------------------------------------------------------------

const reproductionCount = 2000;
const reproductionName = (i: number): string => `/after/n${String(i).padStart(6, '0')}`;
const isSet = (i: number): boolean => i % 3 === 0;
const initialData = (i: number): string => `v${i}`;
const newData = (i: number): string => `new-${i}`;

function reproductionSteps(): Step[] {
  const steps: Step[] = [{ kind: 'open', session: 'main' }];
  const push = (request: Request, label: string): void => {
    steps.push({ kind: 'request', session: 'main', part: 'reproduction', request, label, expectOk: true });
  };
  push({ type: OpCode.create, path: '/after', data: Buffer.from('after'), acl: openAcl, flags: 0 }, 'create /after');
  for (let i = 0; i < reproductionCount; i++) {
    push({ type: OpCode.create, path: reproductionName(i), data: Buffer.from(initialData(i)), acl: openAcl, flags: 0 }, `create ${reproductionName(i)}`);
  }
  for (let i = 0; i < reproductionCount; i += 3) {
    push({ type: OpCode.setData, path: reproductionName(i), data: Buffer.from(newData(i)), version: -1 }, `setData ${reproductionName(i)}`);
  }
  for (let i = 0; i < reproductionCount; i++) push({ type: OpCode.getData, path: reproductionName(i), watch: false }, `getData ${reproductionName(i)}`);
  push({ type: OpCode.getData, path: '/after', watch: false }, 'getData /after');
  steps.push({ kind: 'close', session: 'main' });
  return steps;
}

/** Every field of every read-back against what the writes' own replies say it must be. */
function reproductionExpectations(steps: readonly Step[], record: RunRecord, server: string): string[] {
  const problems: string[] = [];
  const zxidOf = new Map<string, number>();
  const readBack = new Map<string, { data: string; stat: Record<string, unknown> }>();
  for (const [index, step] of steps.entries()) {
    const reply = record.replies[index];
    if (step.kind !== 'request' || reply === undefined) continue;
    if (reply.err !== 0) problems.push(`${server}: ${step.label} failed with ${reply.err}`);
    if (step.request.type === OpCode.create || step.request.type === OpCode.setData) zxidOf.set(step.label, reply.zxid);
    if (reply.response?.type === OpCode.getData) {
      readBack.set(step.request.type === OpCode.getData ? step.request.path : '', { data: Buffer.from(reply.response.data ?? []).toString(), stat: { ...reply.response.stat } });
    }
  }
  const check = (path: string, field: string, actual: unknown, expected: unknown): void => {
    if (actual !== expected) problems.push(`${server}: ${path} ${field} is ${String(actual)}, expected ${String(expected)}`);
  };
  for (let i = 0; i < reproductionCount; i++) {
    const path = reproductionName(i);
    const node = readBack.get(path);
    if (node === undefined) {
      problems.push(`${server}: ${path} was not read back`);
      continue;
    }
    const czxid = zxidOf.get(`create ${path}`);
    const data = isSet(i) ? newData(i) : initialData(i);
    check(path, 'data', node.data, data);
    check(path, 'dataLength', node.stat.dataLength, data.length);
    check(path, 'version', node.stat.version, isSet(i) ? 1 : 0);
    check(path, 'czxid', node.stat.czxid, czxid);
    check(path, 'mzxid', node.stat.mzxid, isSet(i) ? zxidOf.get(`setData ${path}`) : czxid);
    check(path, 'pzxid', node.stat.pzxid, czxid);
    for (const field of ['cversion', 'aversion', 'numChildren'] as const) check(path, field, node.stat[field], 0);
    check(path, 'ephemeralOwner', node.stat.ephemeralOwner, 0n);
    if (!isSet(i)) check(path, 'mtime', node.stat.mtime, node.stat.ctime);
  }
  const parent = readBack.get('/after');
  check('/after', 'numChildren', parent?.stat.numChildren, reproductionCount);
  check('/after', 'cversion', parent?.stat.cversion, reproductionCount);
  check('/after', 'pzxid', parent?.stat.pzxid, zxidOf.get(`create ${reproductionName(reproductionCount - 1)}`));
  check('/after', 'version', parent?.stat.version, 0);
  return problems;
}

// ---- the servers ------------------------------------------------------------------------------

interface Pair {
  zookeeper: Endpoint;
  meerkat: Endpoint;
}

describe('differential at scale: Meerkat holds the same tree as Apache ZooKeeper 3.8', { skip: referenceSkipReason(), timeout: 600_000 }, () => {
  const dirs: string[] = [];
  const tempDir = (name: string): string => {
    const dir = mkdtempSync(join(tmpdir(), `meerkat-diffscale-${name}-`));
    dirs.push(dir);
    return dir;
  };
  let zooKeeperDataDir = '';
  let meerkatDataDir = '';
  let zookeeper: ReferenceZooKeeper | undefined;
  let meerkat: RunningServer | undefined;
  const servers: Pair = { zookeeper: { host: '', port: 0 }, meerkat: { host: '', port: 0 } };
  const later: ReferenceZooKeeper[] = [];
  const laterMeerkats: RunningServer[] = [];

  before(async () => {
    zooKeeperDataDir = tempDir('zookeeper');
    meerkatDataDir = tempDir('meerkat');
    [zookeeper, meerkat] = await Promise.all([
      startReferenceZooKeeper(zooKeeperOptions(zooKeeperDataDir)),
      startServer({ port: 0, dataDir: meerkatDataDir, logLevel: 'silent', config: meerkatConfig }),
    ]);
    servers.zookeeper = { host: zookeeper.host, port: zookeeper.port };
    servers.meerkat = { host: meerkat.host, port: meerkat.port };
  });
  after(async () => {
    await Promise.all([zookeeper?.stop(), meerkat?.close(), ...later.map((zk) => zk.stop()), ...laterMeerkats.map((server) => server.close())]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const repro = reproductionSteps();
  const runs: Partial<Record<'reproZookeeper' | 'reproMeerkat' | 'zookeeper' | 'meerkat', RunRecord>> = {};
  const trees: Partial<Record<'zookeeper' | 'meerkat', Map<string, PipelinedNode>>> = {};

  it(`reads back ${reproductionCount} creates with every third set once, with the expected stats, on both servers`, async (t) => {
    const [onZooKeeper, onMeerkat] = await Promise.all([runSequence(servers.zookeeper, repro), runSequence(servers.meerkat, repro)]);
    runs.reproZookeeper = onZooKeeper;
    runs.reproMeerkat = onMeerkat;
    const problems = [...reproductionExpectations(repro, onZooKeeper, 'zookeeper'), ...reproductionExpectations(repro, onMeerkat, 'meerkat')];
    const differences = compareReplies(
      repro,
      { record: onZooKeeper, normaliser: runNormaliser([{ record: onZooKeeper, prefix: '' }]) },
      { record: onMeerkat, normaliser: runNormaliser([{ record: onMeerkat, prefix: '' }]) },
    );
    t.diagnostic(`reproduction: ${problems.length} unexpected fields, ${differences.length} replies differ between the servers`);
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} fields differ from the expected values`);
    assert.equal(differences.length, 0, report('reproduction replies', differences, 'npm test -- differential-scale'));
  });

  const steps = generateSequence({ seed, operations, parts });
  /** Both runs a server saw: the reproduction's zxids read `repro#<step>`, the sequence's `#<step>`. */
  const normaliserOf = (server: 'zookeeper' | 'meerkat'): Normaliser => {
    const reproduction = server === 'zookeeper' ? runs.reproZookeeper : runs.reproMeerkat;
    const sequence = runs[server];
    assert.ok(sequence !== undefined, 'the sequence ran');
    return runNormaliser([...(reproduction === undefined ? [] : [{ record: reproduction, prefix: 'repro' }]), { record: sequence, prefix: '' }]);
  };

  it(`runs ${operations} seeded operations (seed ${seed}, known parts: ${enabledParts.join(', ') || 'none'}) on both servers`, async (t) => {
    const began = Date.now();
    const [onZooKeeper, onMeerkat] = await Promise.all([runSequence(servers.zookeeper, steps), runSequence(servers.meerkat, steps)]);
    runs.zookeeper = onZooKeeper;
    runs.meerkat = onMeerkat;
    const ran = Date.now();
    [trees.zookeeper, trees.meerkat] = await Promise.all([dumpServer(servers.zookeeper), dumpServer(servers.meerkat)]);
    t.diagnostic(`seed=${seed}: ${steps.length} steps in ${ran - began} ms, dumps (${trees.zookeeper.size} / ${trees.meerkat.size} nodes) in ${Date.now() - ran} ms`);
    t.diagnostic(`the generator's model disagreed with ZooKeeper on ${modelDisagreements(steps, onZooKeeper)} of ${steps.length} steps`);
    assert.ok(trees.zookeeper.size >= 3000, `thousands of nodes (${trees.zookeeper.size})`);
  });

  it('answers every request of the sequence alike (error code and reply body)', () => {
    const { zookeeper: onZooKeeper, meerkat: onMeerkat } = runs;
    assert.ok(onZooKeeper !== undefined && onMeerkat !== undefined, 'the sequence ran');
    const differences = compareReplies(
      steps,
      { record: onZooKeeper, normaliser: normaliserOf('zookeeper') },
      { record: onMeerkat, normaliser: normaliserOf('meerkat') },
    );
    assert.equal(differences.length, 0, `seed=${seed}\n${report('replies', differences, replay)}`);
  });

  it('holds the same tree: every node, its data, ACL and every stat field', () => {
    const { zookeeper: onZooKeeper, meerkat: onMeerkat } = runs;
    assert.ok(onZooKeeper !== undefined && onMeerkat !== undefined && trees.zookeeper !== undefined && trees.meerkat !== undefined, 'the sequence ran');
    const differences = compareTrees(
      { tree: trees.zookeeper, normaliser: normaliserOf('zookeeper') },
      { tree: trees.meerkat, normaliser: normaliserOf('meerkat') },
    );
    assert.equal(differences.length, 0, `seed=${seed}\n${report('tree', differences, replay)}`);
  });

  describe('after a clean stop, each server serves the tree from the other one\'s data directory', () => {
    let zooKeeperCopy = '';
    let meerkatCopy = '';

    before(async () => {
      zooKeeperCopy = tempDir('zookeeper-copy');
      meerkatCopy = tempDir('meerkat-copy');
      assert.ok(runs.zookeeper !== undefined && runs.meerkat !== undefined, 'the sequence ran');
      // The sessions stay in the data directories (their ephemerals too) and outlive the restart's dump.
      dropConnections(runs.zookeeper);
      dropConnections(runs.meerkat);
      await Promise.all([zookeeper?.stop(), meerkat?.close()]);
      zookeeper = undefined;
      meerkat = undefined;
      cpSync(zooKeeperDataDir, zooKeeperCopy, { recursive: true });
      cpSync(meerkatDataDir, meerkatCopy, { recursive: true });
    });

    it("Meerkat serves ZooKeeper's tree from a copy of ZooKeeper's data directory", async () => {
      assert.ok(trees.zookeeper !== undefined, 'the sequence ran');
      const server = await startServer({ port: 0, dataDir: zooKeeperCopy, logLevel: 'silent', config: meerkatConfig });
      laterMeerkats.push(server);
      const served = await dumpServer({ host: server.host, port: server.port });
      // Here "zookeeper" is ZooKeeper's own tree before the stop, "meerkat" what Meerkat serves from its files.
      const differences = compareTrees({ tree: trees.zookeeper, normaliser: rawNormaliser }, { tree: served, normaliser: rawNormaliser });
      assert.equal(differences.length, 0, `seed=${seed}\n${report("Meerkat on ZooKeeper's data", differences, replay)}`);
    });

    it("ZooKeeper serves Meerkat's tree from a copy of Meerkat's data directory", async () => {
      assert.ok(trees.meerkat !== undefined, 'the sequence ran');
      const zk = await startReferenceZooKeeper(zooKeeperOptions(meerkatCopy));
      later.push(zk);
      const served = await dumpServer({ host: zk.host, port: zk.port });
      // Here "zookeeper" is what ZooKeeper serves from Meerkat's files, "meerkat" Meerkat's own tree before the stop.
      const differences = compareTrees({ tree: served, normaliser: rawNormaliser }, { tree: trees.meerkat, normaliser: rawNormaliser });
      assert.equal(differences.length, 0, `seed=${seed}\n${report("ZooKeeper on Meerkat's data", differences, replay)}`);
    });
  });
});
