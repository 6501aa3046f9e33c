// The simulated servers' state machine: the real DataTree (src/tree) fed with real txn records
// (TxnHeader + txn, as PROPOSAL carries them), plus the list of applied txns that serves as the
// snapshot format (a snapshot or restart replays it into a fresh tree). Clients write blind txns
// (create, setData, delete over a few paths) stamped with the leader's next zxid; applying them in
// the same order must give the same tree digest on every replica.

import {
  JuteReader, OpCode, encodeTxnRecord, readTxn, readTxnHeader, type Acl, type Txn,
} from '../src/proto/index.js';
import { assert } from '../src/util/index.js';
import { DataTree, applyTxn } from '../src/tree/index.js';
import type { LogEntry } from '../src/zab/index.js';
import type { Prng } from './prng.js';

const openAcl: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const pathCount = 6;

export class TreeStateMachine {
  applied: LogEntry[] = [];
  private tree = new DataTree();

  /** Applies one committed txn; returns the tree digest after it. */
  apply(entry: LogEntry): bigint {
    const reader = new JuteReader(entry.data);
    const header = readTxnHeader(reader);
    assert(header.zxid === entry.zxid, `txn stamped 0x${header.zxid.toString(16)} logged at 0x${entry.zxid.toString(16)}`);
    applyTxn(this.tree, header, readTxn(reader, header.type));
    this.applied.push(entry);
    return this.tree.digest();
  }

  /** Replaces the state by a snapshot's applied list. */
  reset(entries: readonly LogEntry[]): void {
    this.applied = [];
    this.tree = new DataTree();
    for (const entry of entries) this.apply(entry);
  }

  get appliedZxid(): number {
    return this.applied.length === 0 ? 0 : this.applied[this.applied.length - 1]!.zxid;
  }

  get digest(): bigint {
    return this.tree.digest();
  }
}

/** A client's write, unique by `writeNumber`, as the leader's prep would stamp it. */
export function clientTxn(random: Prng, options: { writeNumber: number; zxid: number; timeMs: number }): Buffer {
  const path = `/k${random.int(0, pathCount - 1)}`;
  const data = Buffer.from(`w${options.writeNumber}`, 'latin1');
  const roll = random.int(0, 9);
  let txn: Txn;
  if (roll < 4) txn = { type: OpCode.create, path, data, acl: openAcl, ephemeral: false, parentCVersion: options.writeNumber };
  else if (roll < 8) txn = { type: OpCode.setData, path, data, version: options.writeNumber };
  else txn = { type: OpCode.delete, path };
  const header = { sessionId: BigInt(options.writeNumber), cxid: options.writeNumber, zxid: options.zxid, time: options.timeMs, type: txn.type };
  return encodeTxnRecord(header, txn);
}
