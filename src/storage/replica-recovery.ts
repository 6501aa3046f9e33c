// What an ensemble member starts from: its newest snapshot (as bytes, not yet loaded), the txns its
// log holds after it — NOT applied: ZAB applies them only once a leader has committed them, as a new
// epoch may truncate them — and its two epoch files. A data directory without epoch files (a
// standalone server's, or ZooKeeper's before it ever joined a quorum) takes both epochs from its last
// logged zxid, as ZooKeeper's QuorumPeer.loadDataBase does.

import { encodeTxnRecord } from '../proto/index.js';
import { zxidEpoch } from '../util/index.js';
import { sortedSnapshots, versionDirName } from './data-dir.js';
import { readEpoch } from './epoch-files.js';
import { type FileSystem, joinPath } from './file-system.js';
import { readLog } from './txn-log-reader.js';

export interface ReplicaStart {
  acceptedEpoch: number;
  currentEpoch: number;
  /** The newest snapshot file, or null when there is none (the empty tree at zxid 0). */
  snapshot: { zxid: number; file: string; bytes: Uint8Array } | null;
  /** Logged txns after the snapshot, in zxid order, as PROPOSAL data (TxnHeader + txn record). */
  log: Array<{ zxid: number; data: Uint8Array }>;
  lastZxid: number;
}

export async function readReplicaStart(options: {
  fs: FileSystem;
  dataDir: string;
  dataLogDir: string;
  warn: (message: string) => void;
}): Promise<ReplicaStart> {
  const { fs } = options;
  const snapDir = joinPath(options.dataDir, versionDirName);
  const newest = sortedSnapshots(await fs.list(snapDir)).pop();
  const snapshot = newest === undefined
    ? null
    : { zxid: newest.zxid, file: joinPath(snapDir, newest.name), bytes: await fs.readFile(joinPath(snapDir, newest.name)) };
  const log: ReplicaStart['log'] = [];
  const fromZxid = (snapshot?.zxid ?? 0) + 1;
  const logDir = joinPath(options.dataLogDir, versionDirName);
  for await (const entry of readLog({ fs, dir: logDir, fromZxid, repairTornTail: true, warn: options.warn })) {
    log.push({ zxid: entry.header.zxid, data: encodeTxnRecord(entry.header, entry.txn) });
  }
  const lastZxid = log.length > 0 ? log[log.length - 1]!.zxid : (snapshot?.zxid ?? 0);
  const derived = zxidEpoch(lastZxid);
  const currentEpoch = (await readEpoch(fs, options.dataDir, 'currentEpoch')) ?? derived;
  const acceptedEpoch = (await readEpoch(fs, options.dataDir, 'acceptedEpoch')) ?? currentEpoch;
  return { acceptedEpoch, currentEpoch, snapshot, log, lastZxid };
}
