// End-of-run checks of sessions on the final leader, beside the ZAB checkers (checkers.ts):
//  - per-session order: each session's txns were applied in the order its client sent them (cxids
//    strictly increase; cxid 0 marks server-made txns: createSession and expiry);
//  - no orphaned ephemeral (ZOOKEEPER-2355): every ephemeral in the final tree belongs to a session
//    the leader tracks, so it will be deleted when that session closes or expires — a session closed
//    by a txn that a failed leader never committed must still be known to its successor.

import { ErrorCode, JuteReader, OpCode, readTxn, readTxnHeader } from '../src/proto/index.js';
import { SimViolation } from './checkers.js';
import type { SimNode } from './node.js';

export function checkSessionOrder(node: SimNode): void {
  const lastCxid = new Map<bigint, number>();
  for (const entry of node.appliedHistory()) {
    const reader = new JuteReader(entry.data);
    const header = readTxnHeader(reader);
    if (header.cxid === 0) continue;
    // A request that reaches the leader from a server the session had left (SESSIONMOVED), or after
    // the session closed (SESSIONEXPIRED), is refused and changes nothing: its place is no order break.
    const txn = readTxn(reader, header.type);
    if (txn.type === OpCode.error && (txn.err === ErrorCode.sessionMoved || txn.err === ErrorCode.sessionExpired)) continue;
    const previous = lastCxid.get(header.sessionId) ?? 0;
    if (header.cxid <= previous) {
      throw new SimViolation(`session 0x${header.sessionId.toString(16)}: request ${header.cxid} applied at 0x${entry.zxid.toString(16)} after its request ${previous}`);
    }
    lastCxid.set(header.sessionId, header.cxid);
  }
}

/** `node` leads: its session tracker decides expiry. */
export function checkNoOrphanedEphemerals(node: SimNode): void {
  const core = node.replica!.core;
  for (const owner of core.tree.ephemeralSessions()) {
    if (core.tree.getEphemerals(owner).size === 0) continue;
    if (core.sessions.get(owner) === undefined) {
      const paths = [...core.tree.getEphemerals(owner)].join(', ');
      throw new SimViolation(`ephemeral ${paths} of session 0x${owner.toString(16)} outlives its session: the leader ${node.id} does not track it (ZOOKEEPER-2355)`);
    }
  }
}
