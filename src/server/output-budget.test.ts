// The output bounds held by the core: a connection's reads are not executed while its unsent output
// is at the hard bound (per connection) or while the server-wide total is past its bound and the
// connection already has output pending; held reads are answered in FIFO order once output is taken.
// The transports here are peers that take nothing until the test says so.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JuteReader, OpCode, type Request, readReplyHeader } from '../proto/index.js';
import type { ClientConnection, Transport } from './client-connection.js';
import { defaultConfig } from './config.js';
import type { OutputBudget } from './output-budget.js';
import { ServerCore } from './server-core.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const nodeBytes = 100_000;

/** A peer that reads nothing until `take()`: every frame sent stays counted in its output and the budget. */
class StuckPeer implements Transport {
  outputBytes = 0;
  /** The largest output this transport ever held. */
  peakBytes = 0;
  readonly replies: Array<{ xid: number; data: string | null }> = [];

  constructor(private readonly budget: () => OutputBudget) {}

  send(frame: Uint8Array): void {
    const header = readReplyHeader(new JuteReader(Buffer.from(frame), 4));
    if (header.xid > 0) {
      // A getData reply: length, header (16 bytes), data length, data: its first byte tells the version.
      const data = frame.length > nodeBytes ? String.fromCharCode(frame[24]!) : null;
      this.replies.push({ xid: header.xid, data });
    }
    this.outputBytes += frame.length;
    this.budget().totalBytes += frame.length;
    this.peakBytes = Math.max(this.peakBytes, this.outputBytes);
  }

  close(): void {}

  /** The peer takes everything sent so far. */
  take(): void {
    this.budget().totalBytes -= this.outputBytes;
    this.outputBytes = 0;
  }
}

function setUp(bounds: { hardBytes: number; serverBytes: number }) {
  let now = 1_000;
  const config = { ...defaultConfig(), connectionOutputSoftBytes: bounds.hardBytes / 2, connectionOutputHardBytes: bounds.hardBytes, serverOutputBytes: bounds.serverBytes };
  const core = new ServerCore(config, { now: () => now++ });
  const flush = (): void => {
    const batch = core.takeUnpersisted();
    if (batch.length > 0) core.persisted(batch[batch.length - 1]!.header.zxid);
  };
  const connect = (): { peer: StuckPeer; connection: ClientConnection } => {
    const peer = new StuckPeer(() => core.output);
    const connection = core.openConnection(peer, '127.0.0.1', 1);
    core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    flush();
    peer.take();
    return { peer, connection };
  };
  const owner = connect();
  core.request(owner.connection, 1, { type: OpCode.create, path: '/big', data: Buffer.alloc(nodeBytes, 'a'), acl: open, flags: 0 });
  flush();
  owner.peer.take();
  owner.peer.replies.length = 0;
  const getData: Request = { type: OpCode.getData, path: '/big', watch: false };
  return { core, flush, connect, getData };
}

describe('output bounds in the core', () => {
  it('executes no read while its connection holds the hard bound of output, then answers the held reads in order', () => {
    const hardBytes = 1_000_000;
    const { core, flush, connect, getData } = setUp({ hardBytes, serverBytes: 1e12 });
    const { peer, connection } = connect();
    for (let xid = 1; xid <= 100; xid++) {
      if (xid === 50) {
        core.request(connection, xid, { type: OpCode.setData, path: '/big', data: Buffer.alloc(nodeBytes, 'b'), version: -1 });
      } else {
        core.request(connection, xid, getData);
      }
    }
    flush();
    const firstBatch = peer.replies.length;
    assert.ok(firstBatch > 0 && firstBatch <= hardBytes / nodeBytes + 1, `${firstBatch} replies built before the bound`);
    assert.ok(peer.peakBytes < hardBytes + nodeBytes + 1024, 'output past the bound by at most one reply');
    let rounds = 0;
    while (peer.replies.length < 100 && rounds++ < 100) {
      peer.take();
      core.outputTaken(connection);
      flush();
      assert.ok(peer.peakBytes < hardBytes + nodeBytes + 1024, 'and so on every round');
    }
    assert.deepEqual(peer.replies.map((reply) => reply.xid), Array.from({ length: 100 }, (_unused, index) => index + 1), 'FIFO');
    assert.equal(peer.replies[48]!.data, 'a');
    assert.equal(peer.replies[50]!.data, 'b', 'a held read sees the write sent before it');
    assert.equal(core.outstandingRequests, 0);
  });

  it('answers the few reads ahead of a prepared write before that write applies, past the bound if need be', () => {
    const hardBytes = 150_000;
    const { core, flush, connect, getData } = setUp({ hardBytes, serverBytes: 1e12 });
    const { peer, connection } = connect();
    core.request(connection, 1, { type: OpCode.setData, path: '/big', data: Buffer.alloc(nodeBytes, 'b'), version: -1 });
    for (let xid = 2; xid <= 5; xid++) core.request(connection, xid, getData);
    core.request(connection, 6, { type: OpCode.setData, path: '/big', data: Buffer.alloc(nodeBytes, 'c'), version: -1 });
    core.request(connection, 7, getData);
    flush();
    assert.deepEqual(peer.replies.map((reply) => reply.data), [null, 'b', 'b', 'b', 'b', null],
      'the reads sent between the writes see the first and not the second; the read after them waits');
    assert.ok(peer.peakBytes < hardBytes + 4 * (nodeBytes + 1024));
    peer.take();
    core.outputTaken(connection);
    assert.equal(peer.replies[6]!.data, 'c');
  });

  it('holds reads of connections with output pending once the server-wide total is past its bound, never those of a connection with none', () => {
    const serverBytes = 1_000_000;
    const { core, connect, getData } = setUp({ hardBytes: 100 * nodeBytes, serverBytes });
    const first = connect();
    const second = connect();
    for (let xid = 1; xid <= 30; xid++) {
      core.request(first.connection, xid, getData);
      core.request(second.connection, xid, getData);
    }
    assert.ok(core.output.totalBytes < serverBytes + 2 * (nodeBytes + 1024), `total ${core.output.totalBytes} within the bound plus one reply per connection`);
    const answered = first.peer.replies.length + second.peer.replies.length;
    assert.ok(answered < 60 && first.peer.replies.length > 0 && second.peer.replies.length > 0);

    const bystander = connect();
    for (let xid = 1; xid <= 3; xid++) {
      core.request(bystander.connection, xid, getData);
      assert.equal(bystander.peer.replies.length, xid, 'answered at once, one at a time, as it reads its replies');
      bystander.peer.take();
    }

    first.peer.take();
    core.outputTaken(first.connection);
    assert.ok(second.peer.replies.length + first.peer.replies.length > answered, 'room again: held connections go on');
    assert.ok(core.output.totalBytes < serverBytes + 3 * (nodeBytes + 1024));
  });
});
