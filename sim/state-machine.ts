// The simulated servers' state machine: the real DataTree (src/tree) fed with real txn records
// (TxnHeader + txn, as PROPOSAL carries them), the sessions its createSession/closeSession txns
// define, and the list of applied txns that serves as the snapshot format (a snapshot or restart
// replays it into a fresh tree). Applying the same txns in the same order gives the same tree digest
// on every replica.

import { JuteReader, OpCode, readTxn, readTxnHeader, type Txn, type TxnHeader } from '../src/proto/index.js';
import { assert } from '../src/util/index.js';
import { type ApplyResult, DataTree, type InitialCapacity, applyTxn } from '../src/tree/index.js';
import type { LogEntry } from '../src/zab/index.js';

export interface AppliedTxn {
  header: TxnHeader;
  txn: Txn;
  result: ApplyResult;
  /** Tree digest after the txn. */
  digest: bigint;
}

export class TreeStateMachine {
  applied: LogEntry[] = [];
  tree: DataTree;
  /** The most nodes the tree has held. */
  nodesMax = 0;

  /** `initialCapacity`: how small the tree's structures start (tiny, so a run crosses their growth). */
  constructor(private readonly initialCapacity?: InitialCapacity) {
    this.tree = new DataTree({ initialCapacity });
  }
  /** Live sessions (created and not closed by an applied txn): id → timeout in ms. */
  readonly sessions = new Map<bigint, number>();

  /** Applies one committed txn. */
  apply(entry: LogEntry): AppliedTxn {
    const reader = new JuteReader(entry.data);
    const header = readTxnHeader(reader);
    assert(header.zxid === entry.zxid, `txn stamped 0x${header.zxid.toString(16)} logged at 0x${entry.zxid.toString(16)}`);
    const txn = readTxn(reader, header.type);
    const result = applyTxn(this.tree, header, txn);
    if (txn.type === OpCode.createSession) this.sessions.set(header.sessionId, txn.timeOut);
    else if (txn.type === OpCode.closeSession) this.sessions.delete(header.sessionId);
    this.applied.push(entry);
    if (this.tree.nodeCount > this.nodesMax) this.nodesMax = this.tree.nodeCount;
    return { header, txn, result, digest: this.tree.digest() };
  }

  /** Replaces the state by a snapshot's applied list. */
  reset(entries: readonly LogEntry[]): void {
    this.applied = [];
    this.tree = new DataTree({ initialCapacity: this.initialCapacity });
    this.sessions.clear();
    for (const entry of entries) this.apply(entry);
  }

  get appliedZxid(): number {
    return this.applied.length === 0 ? 0 : this.applied[this.applied.length - 1]!.zxid;
  }

  get digest(): bigint {
    return this.tree.digest();
  }
}
