// Data directories for the storage fuzz targets, as file name → bytes: the real one ZooKeeper 3.8
// wrote (src/storage/testdata/zookeeper-3.8), and one Meerkat writes here through TxnLog and
// writeSnapshotFile (three log files with zero padding, two snapshots, sessions, ephemerals, ACLs,
// multi, closeSession). Also the comparable form of a tree, and the reference state at every zxid.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Acl, OpCode, type Txn } from '../../src/proto/index.js';
import { DataTree, applyTxn } from '../../src/tree/index.js';
import {
  MemoryFileSystem, TxnLog, loadSnapshot, readLog, replayTxn, sortedFiles, sortedSnapshots, writeSnapshotFile,
} from '../../src/storage/index.js';

export type DataDirFiles = ReadonlyMap<string, Uint8Array>;

/** Run from the repository root (as npm test does): the fixture is not copied into dist/. */
const zookeeperDir = join(process.cwd(), 'src/storage/testdata/zookeeper-3.8/version-2');

export function zookeeperFiles(): DataDirFiles {
  return new Map(readdirSync(zookeeperDir).sort().map((name) => [name, new Uint8Array(readFileSync(join(zookeeperDir, name)))]));
}

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const readOnly: Acl[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: { scheme: 'digest', id: 'u:h=' } }];

/** The txns of the Meerkat directory, in batches; a snapshot or a new log file follows some of them. */
function meerkatWorkload(): Array<{ txns: Array<{ txn: Txn; sessionId: bigint }>; then?: 'snapshot' | 'roll' }> {
  const s1 = 0x100_0000_0001n;
  const s2 = 0x100_0000_0002n;
  const create = (path: string, fields: Partial<{ data: string; acl: Acl[]; ephemeral: boolean; parentCVersion: number }> = {}): Txn => ({
    type: OpCode.create, path, data: Buffer.from(fields.data ?? path), acl: fields.acl ?? open, ephemeral: fields.ephemeral ?? false,
    parentCVersion: fields.parentCVersion ?? 1,
  });
  return [
    { txns: [{ txn: { type: OpCode.createSession, timeOut: 30_000 }, sessionId: s1 }, { txn: { type: OpCode.createSession, timeOut: 6000 }, sessionId: s2 }] },
    { txns: [{ txn: create('/app'), sessionId: s1 }, { txn: create('/app/a', { acl: readOnly }), sessionId: s1 }], then: 'snapshot' },
    { txns: [{ txn: { type: OpCode.setData, path: '/app/a', data: Buffer.from('v2'), version: 1 }, sessionId: s1 }] },
    { txns: [{ txn: create('/app/e', { ephemeral: true, parentCVersion: 2 }), sessionId: s2 }], then: 'roll' },
    {
      txns: [{
        txn: { type: OpCode.multi, txns: [create('/app/m', { parentCVersion: 3 }), { type: OpCode.setData, path: '/app', data: Buffer.from('m'), version: 1 }] },
        sessionId: s1,
      }],
    },
    { txns: [{ txn: { type: OpCode.setACL, path: '/app/m', acl: readOnly, version: 1 }, sessionId: s1 }], then: 'snapshot' },
    { txns: [{ txn: { type: OpCode.closeSession, paths2Delete: ['/app/e'] }, sessionId: s2 }], then: 'roll' },
    { txns: [{ txn: { type: OpCode.delete, path: '/app/m' }, sessionId: s1 }, { txn: create('/app/z', { parentCVersion: 6 }), sessionId: s1 }] },
    { txns: [{ txn: { type: OpCode.error, err: -101 }, sessionId: s1 }, { txn: { type: OpCode.setData, path: '/app/z', data: Buffer.alloc(300, 7), version: 1 }, sessionId: s1 }] },
  ];
}

let meerkat: Promise<DataDirFiles> | null = null;

export function meerkatFiles(): Promise<DataDirFiles> {
  meerkat ??= writeMeerkatFiles();
  return meerkat;
}

async function writeMeerkatFiles(): Promise<DataDirFiles> {
  const dir = '/data/version-2';
  const fs = new MemoryFileSystem();
  const log = new TxnLog({ fs, dir, preAllocBytes: 1024, forceSync: true });
  const tree = new DataTree();
  const sessions = new Map<bigint, number>();
  let zxid = 0x1_0000_0000;
  for (const batch of meerkatWorkload()) {
    for (const { txn, sessionId } of batch.txns) {
      const header = { sessionId, cxid: 0, zxid: ++zxid, time: 1_700_000_000_000 + zxid % 1000, type: txn.type };
      applyTxn(tree, header, txn);
      if (txn.type === OpCode.createSession) sessions.set(sessionId, txn.timeOut);
      if (txn.type === OpCode.closeSession) sessions.delete(sessionId);
      tree.lastProcessedZxid = zxid;
      log.append(header, txn, { version: 2, treeDigest: tree.digest() });
    }
    await log.flush();
    if (batch.then === 'snapshot') await writeSnapshotFile(tree, { fs, dir, sessions, zxid, nodesPerChunk: 2 });
    if (batch.then === 'roll') log.roll();
  }
  await log.close();
  const names = (await fs.list(dir)).filter((name) => name.startsWith('log.') || name.startsWith('snapshot.')).sort();
  return new Map(await Promise.all(names.map(async (name) => [name, await fs.readFile(`${dir}/${name}`)] as const)));
}

/** A tree and sessions as one comparable string: every node's path, stat, data and ACL, and the digest. */
export function stateKey(tree: DataTree<unknown>, sessions: ReadonlyMap<bigint, number>): string {
  const nodes = [...tree.entries()].map(([path, node]) => {
    const stat = Object.entries(tree.statOf(node)).map(([key, value]) => `${key}=${String(value)}`).join(',');
    const acl = node.acl.map((entry) => `${entry.perms}:${entry.id.scheme}:${entry.id.id}`).join(',');
    return `${path} ${stat} ${node.data === null ? 'null' : Buffer.from(node.data).toString('hex')} ${acl}`;
  }).sort();
  const sessionList = [...sessions].map(([id, timeout]) => `${id.toString(16)}:${timeout}`).sort();
  return [...nodes, `digest ${tree.digest().toString(16)}`, `sessions ${sessionList.join(' ')}`].join('\n');
}

/** Writes `files` into a fresh MemoryFileSystem under `dir` (a version-2 directory). */
export async function memoryDataDir(files: DataDirFiles, dir: string): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  for (const [name, bytes] of files) await fs.writeFileAtomic(`${dir}/${name}`, bytes);
  return fs;
}

/**
 * The state recovery must reach at each zxid from the newest snapshot on: the snapshot's state, then
 * after each logged txn. Recovery of an undamaged directory ends at the last of them.
 */
export async function referenceStates(files: DataDirFiles): Promise<{ byZxid: Map<number, string>; lastZxid: number }> {
  const dir = '/ref/version-2';
  const fs = await memoryDataDir(files, dir);
  const newest = sortedSnapshots([...files.keys()]).at(-1)!;
  const tree = new DataTree({ withSystemNodes: false });
  const loaded = loadSnapshot(newest.name, files.get(newest.name)!, tree);
  const sessions = loaded.sessions;
  const byZxid = new Map([[newest.zxid, stateKey(tree, sessions)]]);
  let lastZxid = newest.zxid;
  for await (const { header, txn } of readLog({ fs, dir, fromZxid: newest.zxid + 1 })) {
    replayTxn(tree, header, txn);
    if (txn.type === OpCode.createSession) sessions.set(header.sessionId, txn.timeOut);
    else if (txn.type === OpCode.closeSession) sessions.delete(header.sessionId);
    lastZxid = header.zxid;
    byZxid.set(lastZxid, stateKey(tree, sessions));
  }
  return { byZxid, lastZxid };
}

/** The newest log file's name. */
export function newestLog(files: DataDirFiles): string {
  return sortedFiles([...files.keys()], 'log').at(-1)!.name;
}
