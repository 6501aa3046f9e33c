// Drives the real DataTree (started with tiny capacities, so every column, record table and child
// table grows through many doublings) and the naive TreeModel with the same seeded txns, and compares
// them: after every txn the nodes it touched, field by field; at checkpoints the whole tree, the
// incremental digest against one recomputed from scratch, a snapshot loaded back, and recovery (a
// fuzzy snapshot taken while txns keep coming, plus the log after it) through the real TxnLog,
// snapshot writer/reader and recover() on the MemoryFileSystem. Shared by tree-model.test.ts (CI) and
// scripts/tree-soak.mjs (long runs). A failure names the seed, the step and the first field that
// differs.

import { OpCode, type Stat, type Txn } from '../../src/proto/index.js';
import { DataTree, type InitialCapacity, applyTxn, parentOf } from '../../src/tree/index.js';
import { MemoryFileSystem, TxnLog, loadSnapshot, recover, writeSnapshotFile } from '../../src/storage/index.js';
import { type LoggedTxn, TreeModel, TxnGenerator } from './tree-model.js';

export const tinyCapacity: InitialCapacity = { nodes: 2, statRecords: 1, childSlots: 2 };

export interface ModelRunOptions {
  seed: number;
  steps: number;
  /** Nodes the tree hovers around (default 3,000). */
  targetNodes?: number;
  /** Whole-tree checks, snapshots and recovery every this many steps (default 5,000). */
  checkpointEvery?: number;
  /** Data near jute.maxbuffer, per generated data (default 1 in 20,000). */
  hugeDataChance?: number;
}

export interface ModelRunReport {
  steps: number;
  txns: number;
  checkpoints: number;
  recoveries: number;
  maxNodes: number;
  nodes: number;
}

export class ModelMismatch extends Error {
  override readonly name = 'ModelMismatch';
}

type AnyTree = DataTree<unknown>;

/** Equal data: null (no data) equals only null, not empty data. */
function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first field of `path` where the tree and the model differ, or null. */
export function compareNode(tree: AnyTree, model: TreeModel, path: string): string | null {
  const expected = model.nodes.get(path);
  const node = tree.getNode(path);
  if (expected === undefined || node === undefined) {
    return expected === node ? null : `${path}: ${expected === undefined ? 'in the tree, not in the model' : 'missing from the tree'}`;
  }
  const actualStat = tree.statOf(node);
  const expectedStat = model.statOf(path);
  for (const field of Object.keys(expectedStat) as Array<keyof Stat>) {
    if (actualStat[field] !== expectedStat[field]) return `${path}: ${field} is ${actualStat[field]}, the model has ${expectedStat[field]}`;
  }
  if (node.ephemeralOwner !== expected.owner) return `${path}: raw ephemeralOwner is ${node.ephemeralOwner}, the model has ${expected.owner}`;
  if (node.cversion !== expected.creations) return `${path}: stored cversion is ${node.cversion}, the model has ${expected.creations}`;
  if (!sameBytes(node.data, expected.data)) return `${path}: data differs (${node.data?.length ?? 'null'} bytes, the model has ${expected.data?.length ?? 'null'})`;
  if (JSON.stringify(node.acl) !== JSON.stringify(expected.acl)) return `${path}: acl is ${JSON.stringify(node.acl)}, the model has ${JSON.stringify(expected.acl)}`;
  const children = [...node.children];
  if (children.length !== expected.children.size || children.some((name) => !expected.children.has(name))) {
    return `${path}: children are [${children.join(',')}], the model has [${[...expected.children].join(',')}]`;
  }
  return null;
}

/** The first difference between two trees (paths, stats, data, ACLs, digest), or null. */
export function compareTrees(actual: AnyTree, expected: AnyTree): string | null {
  const expectedPaths = new Set<string>();
  for (const [path, node] of expected.entries()) {
    expectedPaths.add(path);
    const copy = actual.getNode(path);
    if (copy === undefined) return `${path}: missing`;
    const a = actual.statOf(copy);
    const e = expected.statOf(node);
    for (const field of Object.keys(e) as Array<keyof Stat>) if (a[field] !== e[field]) return `${path}: ${field} is ${a[field]}, expected ${e[field]}`;
    if (copy.ephemeralOwner !== node.ephemeralOwner) return `${path}: raw ephemeralOwner differs`;
    if (!sameBytes(copy.data, node.data)) return `${path}: data differs`;
    if (JSON.stringify(copy.acl) !== JSON.stringify(node.acl)) return `${path}: acl differs`;
  }
  if (actual.nodeCount !== expectedPaths.size) return `${actual.nodeCount} nodes, expected ${expectedPaths.size}`;
  if (actual.digest() !== expected.digest()) return `digest 0x${actual.digest().toString(16)}, expected 0x${expected.digest().toString(16)}`;
  return null;
}

/** The whole tree against the model: every node both ways, ephemerals per session, reaper candidates. */
function compareWhole(tree: AnyTree, model: TreeModel, nowMs: number): string | null {
  if (tree.nodeCount !== model.nodes.size) return `the tree has ${tree.nodeCount} nodes, the model ${model.nodes.size}`;
  for (const [path] of tree.entries()) if (!model.nodes.has(path)) return `${path}: in the tree, not in the model`;
  for (const path of model.nodes.keys()) {
    const difference = compareNode(tree, model, path);
    if (difference !== null) return difference;
  }
  for (const session of tree.ephemeralSessions()) {
    const actual = [...tree.getEphemerals(session)].sort().join(',');
    const expected = model.ephemeralsOf(session).join(',');
    if (actual !== expected) return `session ${session}: ephemerals [${actual}], the model has [${expected}]`;
  }
  const actual = tree.reapCandidates(nowMs);
  const expected = model.reapCandidates(nowMs);
  if ([...actual.containers].sort().join() !== expected.containers.join() || [...actual.expiredTtl].sort().join() !== expected.expiredTtl.join()) {
    return `reaper candidates ${JSON.stringify(actual)}, the model has ${JSON.stringify(expected)}`;
  }
  return null;
}

/** The model's nodes inserted into a fresh tree: its digest is computed from scratch, node by node. */
export function treeFromModel(model: TreeModel): AnyTree {
  const tree = new DataTree({ withSystemNodes: false });
  const paths = [...model.nodes.keys()].sort((a, b) => a.split('/').length - b.split('/').length);
  for (const path of paths) {
    const node = model.nodes.get(path)!;
    tree.insert(path, {
      data: node.data, acl: [...node.acl],
      stat: {
        czxid: node.czxid, mzxid: node.mzxid, ctime: node.ctime, mtime: node.mtime, version: node.version, cversion: node.creations,
        aversion: node.aversion, ephemeralOwner: node.owner, pzxid: node.pzxid,
      },
    });
  }
  return tree;
}

/** Paths a txn may change: its nodes and their parents, and a closed session's ephemerals. */
function touchedPaths(txn: Txn, model: TreeModel, sessionId: bigint, into: Set<string>): void {
  if (txn.type === OpCode.multi) {
    for (const sub of txn.txns) touchedPaths(sub, model, sessionId, into);
    return;
  }
  if (txn.type === OpCode.closeSession) {
    for (const path of txn.paths2Delete ?? model.ephemeralsOf(sessionId)) {
      into.add(path);
      into.add(parentOf(path));
    }
    return;
  }
  if ('path' in txn) {
    into.add(txn.path);
    if (txn.path !== '/') into.add(parentOf(txn.path));
  }
}

const logDir = '/data/version-2';

/** A stretch of the run logged on its own file system: it starts with a fuzzy snapshot. */
interface Segment {
  fs: MemoryFileSystem;
  log: TxnLog;
}

export async function runModel(options: ModelRunOptions): Promise<ModelRunReport> {
  const { seed, steps, targetNodes = 3000, checkpointEvery = 5000, hugeDataChance = 1 / 20_000 } = options;
  const tree: AnyTree = new DataTree({ initialCapacity: tinyCapacity });
  const model = new TreeModel();
  const generator = new TxnGenerator(model, { seed, targetNodes, hugeDataChance });
  const report: ModelRunReport = { steps: 0, txns: 0, checkpoints: 0, recoveries: 0, maxNodes: 0, nodes: 0 };
  const fail = (step: number, difference: string): never => {
    throw new ModelMismatch(`seed=${seed} step=${step}: ${difference} (replay: npm run soak:tree -- --seed ${seed} --count 1 --steps ${steps} --target-nodes ${targetNodes} --checkpoint-every ${checkpointEvery} --huge-data-chance ${hugeDataChance})`);
  };
  const touched = new Set<string>();
  let segment: Segment | undefined;

  const applyOne = ({ header, txn }: LoggedTxn, step: number): void => {
    touched.clear();
    touchedPaths(txn, model, header.sessionId, touched);
    applyTxn(tree, header, txn);
    model.apply(header, txn);
    segment?.log.append(header, txn, { version: 2, treeDigest: tree.digest() });
    report.txns++;
    for (const path of touched) {
      const difference = compareNode(tree, model, path);
      if (difference !== null) fail(step, `after ${JSON.stringify({ ...txn, data: undefined, txns: undefined, type: txn.type })}: ${difference}`);
    }
  };

  /** Starts a segment: a snapshot at the last zxid, written while the next `during` txns are made and applied. */
  const startSegment = async (during: number): Promise<void> => {
    const fs = new MemoryFileSystem();
    const log = new TxnLog({ fs, dir: logDir, preAllocBytes: 64 * 1024, forceSync: true });
    segment = { fs, log };
    let applied = 0;
    const applyNext = (): void => {
      applyOne(generator.next(), report.steps);
      report.steps++;
      applied++;
    };
    await writeSnapshotFile(tree, {
      fs, dir: logDir, sessions: new Map(), zxid: tree.lastProcessedZxid, nodesPerChunk: 97,
      pause: async () => {
        if (applied < during) applyNext();
      },
    });
    while (applied < during) applyNext();
    // Right after the fuzzy window: the snapshot plus the window's txns must give the live tree.
    await checkRecovery(report.steps);
  };

  /** Recovers the segment's directory (its log flushed so far) and compares the result with the live tree. */
  const checkRecovery = async (step: number): Promise<void> => {
    if (segment === undefined) return;
    await segment.log.flush();
    const warnings: string[] = [];
    const state = await recover({
      fs: segment.fs, dataDir: '/data', dataLogDir: '/data', warn: (message) => void warnings.push(message),
      createTree: (withSystemNodes) => new DataTree({ withSystemNodes, initialCapacity: tinyCapacity }),
    });
    if (state.digestMismatches !== 0) fail(step, `recovery found ${state.digestMismatches} digest mismatches: ${warnings.join('; ')}`);
    if (state.lastZxid !== tree.lastProcessedZxid) fail(step, `recovered to zxid ${state.lastZxid}, the tree is at ${tree.lastProcessedZxid}`);
    const difference = compareTrees(state.tree, tree);
    if (difference !== null) fail(step, `recovered tree: ${difference}`);
    report.recoveries++;
  };

  const checkpoint = async (step: number): Promise<void> => {
    report.checkpoints++;
    const whole = compareWhole(tree, model, generator.now);
    if (whole !== null) fail(step, whole);
    const scratch = treeFromModel(model);
    if (scratch.digest() !== tree.digest()) fail(step, `digest 0x${tree.digest().toString(16)}, from scratch 0x${scratch.digest().toString(16)}`);
    // A snapshot taken between txns loads back as the same tree.
    const fs = new MemoryFileSystem();
    const { path } = await writeSnapshotFile(tree, { fs, dir: logDir, sessions: new Map(), zxid: tree.lastProcessedZxid });
    const loaded = new DataTree({ withSystemNodes: false, initialCapacity: tinyCapacity });
    loadSnapshot(path, await fs.readFile(path), loaded);
    const difference = compareTrees(loaded, tree);
    if (difference !== null) fail(step, `snapshot loaded back: ${difference}`);
    await checkRecovery(step);
    await segment?.log.close();
    // The next segment's snapshot is fuzzy: the next txns are applied while it is written.
    await startSegment(Math.min(40, steps - report.steps));
  };

  await startSegment(0);
  for (let step = 0; report.steps < steps; step++) {
    applyOne(generator.next(), report.steps);
    report.steps++;
    if (report.steps % 500 === 0) {
      for (const reaped of generator.reap(model.reapCandidates(generator.now))) applyOne(reaped, report.steps);
    }
    report.maxNodes = Math.max(report.maxNodes, tree.nodeCount);
    if (report.steps % checkpointEvery === 0) await checkpoint(report.steps);
  }
  await checkpoint(report.steps);
  report.nodes = tree.nodeCount;
  return report;
}
