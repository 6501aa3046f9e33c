// Replaying a logged txn at recovery (ZooKeeper's DataTree.processTxn as FileTxnSnapLog.restore
// drives it): applyTxn, plus the repair a fuzzy snapshot needs.
//
// A fuzzy snapshot can hold a child created after its parent was written: the parent's cversion and
// pzxid are from before that create. Replaying the create then finds the node (NodeExists) and
// changes nothing, so the parent would keep the stale values. ZooKeeper repairs this in processTxn
// (setCversionPzxid): on NodeExists, the parent's cversion is raised to the txn's parentCVersion
// (its cversion + 1 when the txn says -1) and its pzxid set to the txn's zxid; only upward, so a
// later state is never moved back. Creates inside a multi get the same repair.
//
// ZooKeeper 3.8 repairs only OpCode.create; Meerkat repairs every create variant (create2,
// createContainer, createTTL carry the same parentCVersion), so the recovered tree always equals the
// one the server had before it stopped (cversion is visible to clients, and the digests logged with
// each txn describe that tree).

import { ErrorCode, OpCode, type Txn, type TxnHeader } from '../proto/index.js';
import { type DataTree, applyTxn, parentOf } from '../tree/index.js';
import { assert } from '../util/index.js';

type CreateTxn = Extract<Txn, { parentCVersion: number }>;

function isCreate(txn: Txn): txn is CreateTxn {
  return txn.type === OpCode.create || txn.type === OpCode.create2 || txn.type === OpCode.createContainer || txn.type === OpCode.createTTL;
}

/** ZooKeeper's setCversionPzxid, for a create that found its node already present. */
function raiseParentOfExistingNode<W>(tree: DataTree<W>, txn: CreateTxn, zxid: number): void {
  const parentPath = parentOf(txn.path);
  const parent = tree.getNode(parentPath);
  assert(parent !== undefined, `NodeExists for ${txn.path} without its parent`);
  const cversion = txn.parentCVersion === -1 ? parent.cversion + 1 : txn.parentCVersion;
  if (cversion <= parent.cversion) return;
  tree.raiseCversionPzxid(parentPath, { cversion, zxid });
}

/** Applies one logged txn during recovery, repairing parents a fuzzy snapshot caught early. */
export function replayTxn<W>(tree: DataTree<W>, header: TxnHeader, txn: Txn): void {
  const result = applyTxn(tree, header, txn);
  const repair = (applied: Txn, err: number): void => {
    if (err === ErrorCode.nodeExists && isCreate(applied)) raiseParentOfExistingNode(tree, applied, header.zxid);
  };
  if (txn.type === OpCode.multi) result.multiResults?.forEach((sub, index) => repair(txn.txns[index]!, sub.err));
  else repair(txn, result.err);
}
