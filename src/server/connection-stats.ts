// Per-connection counters that `cons` prints and `crst` resets, as ZooKeeper's ServerCnxn keeps them:
// packets in and out, the last answered operation (its opcode, cxid, zxid, answer time and latency)
// and min/avg/max latency over the connection's answers. Plain numbers updated once per reply: no
// allocation on the hot path (the operation is kept as its opcode and named only when printed).

import { OpCode } from '../proto/index.js';

/** No operation answered since the connection opened or `crst` (ZooKeeper prints `NA`). */
export const noOperation = Number.NaN;

/**
 * One answered request. The server core fills in one such object for every answer and reuses it
 * (recordAnswer keeps no reference), so recording allocates nothing.
 */
export interface AnsweredRequest {
  type: number;
  xid: number;
  zxid: number;
  /** Clock time (ms) the request arrived. */
  startMs: number;
  /** Clock time (ms) it was answered. */
  endMs: number;
}

export class ConnectionStats {
  /** Frames received on this connection: the connect request and every request after it. */
  packetsReceived = 0;
  /** Frames sent: the connect response, replies and watch notifications. */
  packetsSent = 0;
  /** Opcode of the last answered request, or `noOperation`. */
  lastOperation = noOperation;
  /** The last answered request's xid; negative (special xids) ones are not recorded, as ZooKeeper. */
  lastCxid = -1;
  /** Zxid of the last answer; -1 after a reset (ZooKeeper prints it as 0xffffffffffffffff). */
  lastZxid = -1;
  /** Clock time (ms) of the last answer; 0 before any. */
  lastResponseAtMs = 0;
  lastLatencyMs = 0;
  /** Infinity until the first answer (printed as 0). */
  minLatencyMs = Number.POSITIVE_INFINITY;
  maxLatencyMs = 0;
  private answered = 0;
  private totalLatencyMs = 0;

  recordAnswer(answer: AnsweredRequest): void {
    if (answer.xid >= 0) this.lastCxid = answer.xid;
    this.lastZxid = answer.zxid;
    this.lastOperation = answer.type;
    this.lastResponseAtMs = answer.endMs;
    const latencyMs = answer.endMs - answer.startMs;
    this.lastLatencyMs = latencyMs;
    if (latencyMs < this.minLatencyMs) this.minLatencyMs = latencyMs;
    if (latencyMs > this.maxLatencyMs) this.maxLatencyMs = latencyMs;
    this.answered++;
    this.totalLatencyMs += latencyMs;
  }

  /** Whole milliseconds, truncated as ZooKeeper's integer division. */
  get averageLatencyMs(): number {
    return this.answered === 0 ? 0 : Math.trunc(this.totalLatencyMs / this.answered);
  }

  /** What `crst` does: every counter back to its initial value (the session and its timeout stay). */
  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.lastOperation = noOperation;
    this.lastCxid = -1;
    this.lastZxid = -1;
    this.lastResponseAtMs = 0;
    this.lastLatencyMs = 0;
    this.minLatencyMs = Number.POSITIVE_INFINITY;
    this.maxLatencyMs = 0;
    this.answered = 0;
    this.totalLatencyMs = 0;
  }
}

/** ZooKeeper's four-letter names for operations in `cons` (`lop=`), from its FinalRequestProcessor. */
const operationNames: ReadonlyMap<number, string> = new Map([
  [OpCode.ping, 'PING'], [OpCode.createSession, 'SESS'], [OpCode.multi, 'MULT'], [OpCode.multiRead, 'MLTR'],
  [OpCode.create, 'CREA'], [OpCode.create2, 'CREA'], [OpCode.createTTL, 'CREA'], [OpCode.createContainer, 'CREA'],
  [OpCode.delete, 'DELE'], [OpCode.deleteContainer, 'DELE'], [OpCode.setData, 'SETD'], [OpCode.reconfig, 'RECO'],
  [OpCode.setACL, 'SETA'], [OpCode.closeSession, 'CLOS'], [OpCode.sync, 'SYNC'], [OpCode.check, 'CHEC'],
  [OpCode.exists, 'EXIS'], [OpCode.getData, 'GETD'], [OpCode.setWatches, 'SETW'], [OpCode.setWatches2, 'STW2'],
  [OpCode.addWatch, 'ADDW'], [OpCode.getACL, 'GETA'], [OpCode.getChildren, 'GETC'], [OpCode.getChildren2, 'GETC'],
  [OpCode.getAllChildrenNumber, 'GETACN'], [OpCode.checkWatches, 'CHKW'], [OpCode.removeWatches, 'REMW'],
  [OpCode.whoAmI, 'HOMI'], [OpCode.getEphemerals, 'GETE'],
]);

/** The `lop=` name of an opcode; `NA` for none or one ZooKeeper has no name for. */
export function operationName(type: number): string {
  return operationNames.get(type) ?? 'NA';
}
