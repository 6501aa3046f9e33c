// Named scenarios that need clients and sessions, scripted on the full simulator (real cores,
// trees, prep and session tracking). Each asserts its outcome and compares the run's trace with a
// golden file in sim/golden/; regenerate with
//   REWRITE_GOLDEN=1 npm test -- sim/scenarios
// and review the diff before committing it.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateMode, ErrorCode, type JuteReader, OpCode, type Request, SpecialXid, readConnectResponse, readReplyHeader } from '../src/proto/index.js';
import { matchesGolden } from '../test/helpers/golden.js';
import { SimClientLink, connectFrame, requestFrame } from './client-link.js';
import type { SimNode } from './node.js';
import { Simulation } from './simulation.js';

/** A hand-driven client on one link: records what its server sends it. */
class ScriptClient {
  sessionId: bigint | null = null;
  readonly replies: Array<{ xid: number; zxid: number; err: number }> = [];
  broken = false;
  private link: SimClientLink | null = null;

  constructor(private readonly sim: Simulation) {}

  connect(node: SimNode, timeoutMs: number): void {
    this.link = new SimClientLink(node, { queue: this.sim.queue, label: 'c1', client: { frame: (reader) => this.frame(reader), broken: () => (this.broken = true) } });
    this.link.write(connectFrame({ protocolVersion: 0, lastZxidSeen: 0, timeOut: timeoutMs, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false }));
  }

  send(xid: number, request: Request): void {
    this.link!.write(requestFrame(xid, request));
  }

  private frame(reader: JuteReader): void {
    if (this.sessionId === null) {
      this.sessionId = readConnectResponse(reader).sessionId;
      return;
    }
    const header = readReplyHeader(reader);
    if (header.xid !== SpecialXid.notification) this.replies.push(header);
  }
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

describe('scenarios with sessions (golden traces)', () => {
  it('ZOOKEEPER-2355: an ephemeral whose session closes while the leader fails is deleted by a later leader', () => {
    const sim = Simulation.scripted({ seed: 2355, nodes: 3 });
    const ids = [1, 2, 3];
    const serving = (): boolean => {
      const leader = sim.leader();
      return leader !== undefined && leader.replica!.core.replication.mode === 'leader' && ids.every((id) => !sim.node(id).up || sim.node(id).replica!.serving);
    };
    const everywhere = (path: string): boolean[] => ids.map((id) => sim.node(id).replica?.core.tree.getNode(path) !== undefined);
    sim.startNodes();
    assert.ok(sim.runUntil(serving, 10_000), `no ensemble: ${sim.describe()}`);

    const first = sim.leader()!;
    const client = new ScriptClient(sim);
    client.connect(first, 2000);
    assert.ok(sim.runUntil(() => client.sessionId !== null, 1000), 'session created');
    client.send(1, { type: OpCode.create, path: '/eph', data: Buffer.from('x'), acl: openAcl, flags: CreateMode.ephemeral });
    assert.ok(sim.runUntil(() => client.replies.length === 1 && everywhere('/eph').every(Boolean), 1000), 'ephemeral on every replica');
    assert.equal(client.replies[0]!.err, ErrorCode.ok);
    const sessionId = client.sessionId!;
    sim.log(`script: session 0x${sessionId.toString(16)} created ephemeral /eph at 0x${client.replies[0]!.zxid.toString(16)}`);

    sim.log(`script: isolate leader ${first.id}; the client closes its session there`);
    sim.network.partition([first.id], false);
    client.send(2, { type: OpCode.closeSession });
    assert.ok(sim.runUntil(() => first.core!.status().lastZxid > first.appliedZxid(), 200), 'closeSession logged by the leader alone');
    sim.log(`script: crash leader ${first.id} before its closeSession commits; heal the network`);
    sim.crash(first);
    sim.network.healAll();

    assert.ok(sim.runUntil(serving, 10_000), `no new ensemble: ${sim.describe()}`);
    const second = sim.leader()!;
    assert.notEqual(second.id, first.id);
    assert.deepEqual(everywhere('/eph').filter((_, index) => ids[index] !== first.id), [true, true], 'the uncommitted close deleted nothing');
    assert.ok(second.replica!.core.sessions.get(sessionId) !== undefined, 'the new leader tracks the session whose close was lost');

    sim.log(`script: restart ${first.id}`);
    sim.network.restarted(first.id);
    first.start();
    assert.ok(sim.runUntil(() => everywhere('/eph').every((present) => !present), 10_000), `the session expires and its ephemeral goes: ${everywhere('/eph')}`);
    for (const id of ids) assert.equal(sim.node(id).replica!.core.appliedSessions.has(sessionId), false, `server ${id} still has the session`);
    sim.log(`script: /eph is gone from every replica (applied up to 0x${second.appliedZxid().toString(16)})`);
    assert.ok(client.broken, 'the client saw its connection drop with the leader');
    matchesGolden('sim/golden', 'zk-2355-ephemeral-of-session-closed-during-leader-failure', sim.trace);
  });
});
