// ServerCore against a naive model: random sequences of creates, deletes, setData and multis from
// one session must give the same error codes, and leave the same paths, data and versions, as a
// plain map that implements ZooKeeper's rules directly. Also: FIFO order of replies under pipelining.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ErrorCode, JuteReader, OpCode, type Request, readReplyHeader, readResponse } from '../proto/index.js';
import { type ServerConfig, defaultConfig } from './config.js';
import { ServerCore } from './server-core.js';
import { coreHarness } from './core-harness.js';
import { sessionPassword } from './session-password.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const paths = ['/a', '/b', '/a/x', '/a/y', '/b/z'];

/** One request at a time on the shared harness (core-harness.ts). */
function harness(config: Partial<ServerConfig> = {}): { core: ServerCore; send(request: Request): number[] } {
  const { core, send } = coreHarness(config);
  return { core, send: (request) => send([request]) };
}

/** ZooKeeper's rules on a plain map: path → { data, version }. */
class Model {
  readonly nodes = new Map<string, { data: string; version: number }>([['/', { data: '', version: 0 }]]);
  private parent(path: string): string {
    return path.slice(0, path.lastIndexOf('/')) || '/';
  }
  private hasChildren(path: string): boolean {
    return [...this.nodes.keys()].some((other) => other !== path && this.parent(other) === path);
  }
  create(path: string, data: string): number {
    if (!this.nodes.has(this.parent(path))) return ErrorCode.noNode;
    if (this.nodes.has(path)) return ErrorCode.nodeExists;
    this.nodes.set(path, { data, version: 0 });
    return 0;
  }
  delete(path: string, version: number): number {
    const node = this.nodes.get(path);
    if (node === undefined) return ErrorCode.noNode;
    if (version !== -1 && version !== node.version) return ErrorCode.badVersion;
    if (this.hasChildren(path)) return ErrorCode.notEmpty;
    this.nodes.delete(path);
    return 0;
  }
  setData(path: string, data: string, version: number): number {
    const node = this.nodes.get(path);
    if (node === undefined) return ErrorCode.noNode;
    if (version !== -1 && version !== node.version) return ErrorCode.badVersion;
    this.nodes.set(path, { data, version: node.version + 1 });
    return 0;
  }
}

const operation = fc.oneof(
  fc.record({ op: fc.constant('create' as const), path: fc.constantFrom(...paths), data: fc.string({ maxLength: 4 }) }),
  fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...paths), version: fc.integer({ min: -1, max: 2 }) }),
  fc.record({ op: fc.constant('setData' as const), path: fc.constantFrom(...paths), data: fc.string({ maxLength: 4 }), version: fc.integer({ min: -1, max: 2 }) }),
);

describe('ServerCore', () => {
  it('answers and applies random writes exactly as a naive model of ZooKeeper’s rules', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const { core, send } = harness();
        const model = new Model();
        for (const operation of operations) {
          let expected: number;
          let request: Request;
          if (operation.op === 'create') {
            expected = model.create(operation.path, operation.data);
            request = { type: OpCode.create, path: operation.path, data: Buffer.from(operation.data), acl: open, flags: 0 };
          } else if (operation.op === 'delete') {
            expected = model.delete(operation.path, operation.version);
            request = { type: OpCode.delete, path: operation.path, version: operation.version };
          } else {
            expected = model.setData(operation.path, operation.data, operation.version);
            request = { type: OpCode.setData, path: operation.path, data: Buffer.from(operation.data), version: operation.version };
          }
          assert.deepEqual(send(request), [expected], JSON.stringify(operation));
        }
        for (const path of paths) {
          const node = core.tree.getNode(path);
          const modelNode = model.nodes.get(path);
          assert.equal(node === undefined, modelNode === undefined, path);
          if (node !== undefined && modelNode !== undefined) {
            assert.equal(Buffer.from(node.data!).toString(), modelNode.data);
            assert.equal(node.version, modelNode.version);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('applies a multi all-or-nothing', () => {
    const { core, send } = harness();
    const failed = send({
      type: OpCode.multi,
      ops: [
        { type: OpCode.create, path: '/m', data: new Uint8Array(0), acl: open, flags: 0 },
        { type: OpCode.delete, path: '/missing', version: -1 },
      ],
    });
    assert.deepEqual(failed, [0], 'a failed multi is answered ok with per-op errors, as ZooKeeper does');
    assert.equal(core.tree.getNode('/m'), undefined);
    const replies = send({
      type: OpCode.multi,
      ops: [
        { type: OpCode.create, path: '/m', data: new Uint8Array(0), acl: open, flags: 0 },
        { type: OpCode.create, path: '/m/n', data: new Uint8Array(0), acl: open, flags: 0 },
      ],
    });
    assert.deepEqual(replies, [0]);
    assert.ok(core.tree.getNode('/m/n') !== undefined);
  });

  it('makes containers as ZooKeeper does: createContainer always, a create with the container flag only inside a multi', () => {
    const { core, send } = harness();
    const empty = new Uint8Array(0);
    const creates: Request[] = [
      { type: OpCode.createContainer, path: '/container-op', data: empty, acl: open, flags: 0 },
      { type: OpCode.create, path: '/create-flag', data: empty, acl: open, flags: 4 },
      { type: OpCode.create2, path: '/create2-flag', data: empty, acl: open, flags: 4 },
      { type: OpCode.multi, ops: [{ type: OpCode.create, path: '/multi-create-flag', data: empty, acl: open, flags: 4 }] },
      { type: OpCode.multi, ops: [{ type: OpCode.createContainer, path: '/multi-container-op', data: empty, acl: open, flags: 0 }] },
    ];
    for (const request of creates) {
      const path = request.type === OpCode.multi ? request.ops[0]!.path : (request as { path: string }).path;
      assert.deepEqual(send(request), [0], path);
      assert.deepEqual(send({ type: OpCode.create, path: `${path}/child`, data: empty, acl: open, flags: 0 }), [0]);
      assert.deepEqual(send({ type: OpCode.delete, path: `${path}/child`, version: -1 }), [0]);
    }
    core.reapContainers();
    send({ type: OpCode.sync, path: '/' });
    const remaining = ['/container-op', '/create-flag', '/create2-flag', '/multi-create-flag', '/multi-container-op']
      .filter((path) => core.tree.getNode(path) !== undefined);
    assert.deepEqual(remaining, ['/create-flag', '/create2-flag', '/multi-container-op']);
  });

  it('refuses TTL flags as UNIMPLEMENTED while TTL nodes are off, but a createTTL op without them as BADARGUMENTS', () => {
    const { send } = harness({ ttlNodesEnabled: false });
    const ttlCreate = (flags: number): Request => ({ type: OpCode.createTTL, path: '/t', data: new Uint8Array(0), acl: open, flags, ttl: 1000 });
    assert.deepEqual(send(ttlCreate(5)), [ErrorCode.unimplemented]);
    assert.deepEqual(send(ttlCreate(0)), [ErrorCode.badArguments]);
  });

  it('validates pipelined writes against the changes still pending before them', () => {
    let now = 0;
    const core = new ServerCore(defaultConfig(), { now: () => now++ });
    const errors: number[] = [];
    const connection = core.openConnection({
      send: (frame) => {
        const header = readReplyHeader(new JuteReader(frame, 4));
        if (header.xid > 0) errors.push(header.err);
      },
      close: () => {},
      outputBytes: 0,
    }, '127.0.0.1', 1);
    core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    core.request(connection, 1, { type: OpCode.create, path: '/p', data: new Uint8Array(0), acl: open, flags: 0 });
    core.request(connection, 2, { type: OpCode.create, path: '/p/q', data: new Uint8Array(0), acl: open, flags: 0 });
    core.request(connection, 3, { type: OpCode.create, path: '/p', data: new Uint8Array(0), acl: open, flags: 0 });
    core.request(connection, 4, { type: OpCode.delete, path: '/p', version: -1 });
    core.request(connection, 5, { type: OpCode.getData, path: '/p/q', watch: false });
    assert.deepEqual(errors, [], 'nothing is answered before its txn is durable');
    const batch = core.takeUnpersisted();
    assert.equal(batch.length, 3, 'createSession and two creates; the failing writes make no txn');
    core.persisted(batch[batch.length - 1]!.header.zxid);
    assert.deepEqual(errors, [0, 0, ErrorCode.nodeExists, ErrorCode.notEmpty, 0]);
  });

  it('answers a read queued behind a failed write before the session\'s later writes apply', () => {
    let now = 0;
    const core = new ServerCore(defaultConfig(), { now: () => now++ });
    const reads: string[] = [];
    const connection = core.openConnection({
      send: (frame) => {
        const reader = new JuteReader(frame, 4);
        const header = readReplyHeader(reader);
        if (header.xid === 3 && header.err === 0) {
          const response = readResponse(reader, OpCode.getData) as { data: Uint8Array; stat: { version: number } };
          reads.push(`${Buffer.from(response.data).toString()} v${response.stat.version}`);
        }
      },
      close: () => {},
      outputBytes: 0,
    }, '127.0.0.1', 1);
    core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    core.request(connection, 1, { type: OpCode.create, path: '/x', data: Buffer.from('a'), acl: open, flags: 0 });
    const first = core.takeUnpersisted();
    core.persisted(first[first.length - 1]!.header.zxid);
    // One pipelined burst: a write, a multi that fails (its answer waits for the write), a read, a later write.
    core.request(connection, 1, { type: OpCode.create, path: '/y', data: new Uint8Array(0), acl: open, flags: 0 });
    core.request(connection, 2, { type: OpCode.multi, ops: [{ type: OpCode.check, path: '/x', version: 5 }] });
    core.request(connection, 3, { type: OpCode.getData, path: '/x', watch: false });
    core.request(connection, 4, { type: OpCode.setData, path: '/x', data: Buffer.from('bbbb'), version: -1 });
    const batch = core.takeUnpersisted();
    core.persisted(batch[batch.length - 1]!.header.zxid);
    assert.deepEqual(reads, ['a v0'], 'the read sees /x as it was when the session sent it');
  });

  it('orders a session, not a connection: a read on a new connection waits for writes sent on the old one', () => {
    let now = 1_700_000_000_000; // a real-looking clock: session ids are derived from it
    const core = new ServerCore(defaultConfig(), { now: () => now++ });
    const replies: Array<{ connection: number; xid: number; err: number }> = [];
    const openConnection = (id: number) => core.openConnection({
      send: (frame) => {
        const header = readReplyHeader(new JuteReader(frame, 4));
        if (header.xid > 0) replies.push({ connection: id, xid: header.xid, err: header.err });
      },
      close: () => {},
      outputBytes: 0,
    }, '127.0.0.1', id);
    const first = openConnection(1);
    core.connect(first, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
    const flush = (): void => {
      const batch = core.takeUnpersisted();
      if (batch.length > 0) core.persisted(batch[batch.length - 1]!.header.zxid);
    };
    flush();
    const sessionId = first.sessionId;
    core.request(first, 1, { type: OpCode.create, path: '/w', data: new Uint8Array(0), acl: open, flags: 0 });
    // The client loses the connection before the create is durable, and reattaches.
    const second = openConnection(2);
    core.connect(second, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId, passwd: sessionPassword(sessionId), readOnly: false });
    core.request(second, 1, { type: OpCode.exists, path: '/w', watch: false });
    assert.deepEqual(replies, [], 'the read waits for the create sent on the old connection');
    flush();
    assert.deepEqual(replies, [{ connection: 2, xid: 1, err: 0 }], 'then it sees the node (and the old connection hears nothing)');
  });
});
