// Applying a txn to the tree (ZooKeeper's DataTree.processTxn): the result a client is answered with,
// and the watch deliveries it causes. Applying the same txn twice leaves the tree as applying it once
// (a replay after a fuzzy snapshot): a create that finds its node answers NodeExists, a delete that
// finds none answers NoNode, and neither changes anything.

import { ErrorCode, OpCode, type Stat, type Txn, type TxnHeader } from '../proto/index.js';
import type { DataTree } from './data-tree.js';
import { containerEphemeralOwner, ttlEphemeralOwner } from './ephemeral-type.js';
import type { WatchDelivery } from './watch-manager.js';

export interface ApplyResult<W = unknown> {
  /** The txn type (OpCode). */
  type: number;
  err: number;
  zxid: number;
  /** The created path, for creates. */
  path?: string;
  /** The node's stat after the change, for creates, setData and setACL. */
  stat?: Stat;
  /** Per-op results, for multi. */
  multiResults?: ApplyResult<W>[];
  deliveries: WatchDelivery<W>[];
}

function applyOne<W>(tree: DataTree<W>, header: TxnHeader, txn: Txn, deliveries: WatchDelivery<W>[]): ApplyResult<W> {
  const base = { type: txn.type, zxid: header.zxid, deliveries };
  switch (txn.type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer:
    case OpCode.createTTL: {
      const ephemeralOwner = txn.type === OpCode.createContainer ? containerEphemeralOwner
        : txn.type === OpCode.createTTL ? ttlEphemeralOwner(txn.ttl)
        : txn.ephemeral ? header.sessionId : 0n;
      const outcome = tree.createNode(txn.path, {
        data: txn.data, acl: txn.acl, ephemeralOwner, parentCVersion: txn.parentCVersion, zxid: header.zxid, time: header.time,
      }, deliveries);
      if (outcome.node === undefined) return { ...base, err: outcome.err };
      return { ...base, err: 0, path: txn.path, stat: tree.statOf(outcome.node) };
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { ...base, err: tree.deleteNode(txn.path, header.zxid, deliveries) };
    case OpCode.setData: {
      const outcome = tree.setData(txn.path, { data: txn.data, version: txn.version, zxid: header.zxid, time: header.time }, deliveries);
      return outcome.node === undefined ? { ...base, err: outcome.err } : { ...base, err: 0, stat: tree.statOf(outcome.node) };
    }
    case OpCode.setACL: {
      const outcome = tree.setAcl(txn.path, txn.acl, txn.version);
      return outcome.node === undefined ? { ...base, err: outcome.err } : { ...base, err: 0, stat: tree.statOf(outcome.node) };
    }
    case OpCode.check:
      return { ...base, err: tree.getNode(txn.path) === undefined ? ErrorCode.noNode : 0 };
    case OpCode.multi:
      return applyMulti(tree, header, txn.txns, deliveries);
    case OpCode.createSession:
      return { ...base, err: 0 };
    case OpCode.closeSession: {
      const paths = txn.paths2Delete ?? [...tree.getEphemerals(header.sessionId)].sort();
      for (const path of paths) tree.deleteNode(path, header.zxid, deliveries);
      return { ...base, err: 0 };
    }
    case OpCode.error:
      return { ...base, err: txn.err };
  }
}

/**
 * A multi applies all its txns or none. A multi logged with error txns (as ZooKeeper logs a failed
 * one) applies nothing and reports, per op, OK before the failure, the failure's code, and
 * RUNTIMEINCONSISTENCY after it.
 */
function applyMulti<W>(tree: DataTree<W>, header: TxnHeader, txns: Txn[], deliveries: WatchDelivery<W>[]): ApplyResult<W> {
  const base = { type: OpCode.multi as number, zxid: header.zxid, deliveries, err: 0 };
  const failedAt = txns.findIndex((txn) => txn.type === OpCode.error);
  if (failedAt >= 0) {
    const multiResults = txns.map((txn, index): ApplyResult<W> => ({
      type: OpCode.error, zxid: header.zxid, deliveries,
      err: index < failedAt ? 0 : index === failedAt && txn.type === OpCode.error ? txn.err : ErrorCode.runtimeInconsistency,
    }));
    return { ...base, multiResults };
  }
  return { ...base, multiResults: txns.map((txn) => applyOne(tree, { ...header, type: txn.type }, txn, deliveries)) };
}

/** Applies one txn; advances the tree's last processed zxid. */
export function applyTxn<W>(tree: DataTree<W>, header: TxnHeader, txn: Txn): ApplyResult<W> {
  const deliveries: WatchDelivery<W>[] = [];
  const result = applyOne(tree, header, txn, deliveries);
  if (header.zxid > tree.lastProcessedZxid) tree.lastProcessedZxid = header.zxid;
  return result;
}
