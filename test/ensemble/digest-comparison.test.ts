// Digest comparison on real sockets (DESIGN.md rule 7): three members in this process, so a test can
// reach into one member's tree. Equal trees compare equal on every leader PING and report no
// mismatch; a follower whose tree is changed behind ZAB's back (the planted divergence a lost or
// doubled txn would cause) reports a mismatch at the next PING: an error log line, and
// digest_mismatches_count in mntr and in /metrics, while the other follower still reports none.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ServerMetrics } from '../../src/admin/index.js';
import { ZooKeeperClient } from '../../src/client/index.js';
import { defaultConfig, type EnsembleMembership } from '../../src/server/index.js';
import { type RunningMember, startEnsembleMember } from '../../src/runtime/index.js';
import { nodeServerProcess } from '../../src/runtime/process-view.js';
import { sendFourLetterWord } from '../helpers/four-letter.js';
import { getFreePort } from '../helpers/ports.js';
import { waitUntil } from '../helpers/waits.js';

const tickTimeMs = 200;

describe('digest comparison between members', { timeout: 60_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'meerkat-digest-'));
  const members: RunningMember[] = [];
  /** Every member's log records, as pino writes them (one JSON object a line). */
  const logs = new Map<number, Array<{ level: number; msg: string }>>();
  let client: ZooKeeperClient;

  const leader = (): RunningMember => members.find((member) => member.member.isLeader)!;
  const followers = (): RunningMember[] => members.filter((member) => !member.member.isLeader);
  const mntrRow = async (member: RunningMember, key: string): Promise<string | undefined> => {
    const mntr = await sendFourLetterWord({ host: member.host, port: member.port }, 'mntr');
    return new RegExp(`^zk_${key}\\t(.*)$`, 'm').exec(mntr)?.[1];
  };

  before(async () => {
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push({ client: await getFreePort(), quorum: await getFreePort(), election: await getFreePort() });
    const entries = ports.map((port, index) => ({ id: index + 1, host: '127.0.0.1', quorumPort: port.quorum, electionPort: port.election, role: 'participant' as const }));
    for (const [index, port] of ports.entries()) {
      const id = index + 1;
      const records: Array<{ level: number; msg: string }> = [];
      logs.set(id, records);
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString().split('\n')) if (line.trim() !== '') records.push(JSON.parse(line) as { level: number; msg: string });
          done();
        },
      });
      const membership: EnsembleMembership = { members: entries, myId: id };
      const dataDir = join(root, `member-${id}`);
      const config = {
        ...defaultConfig(), host: '127.0.0.1', port: port.client, dataDir, dataLogDir: dataDir, tickTimeMs, initLimitTicks: 10, syncLimitTicks: 5,
        fourLetterWords: new Set(['*']), ensemble: membership,
      };
      members.push(await startEnsembleMember({ config, logger: pino({ level: 'info' }, sink) }));
    }
    await waitUntil(() => members.every((member) => member.member.serving) && leader()?.member.syncedFollowers === 2, 'a leader with two synced followers', 20_000);
    client = await ZooKeeperClient.connect(members.map((member) => member.connectString).join(','), { sessionTimeoutMs: 4000 });
    await client.create('/digest', Buffer.from('equal'));
    for (let i = 0; i < 20; i++) await client.create(`/digest/n${i}`, Buffer.from(String(i)));
  });

  after(async () => {
    await client?.close().catch(() => undefined);
    await Promise.all(members.map((member) => member.close()));
    rmSync(root, { recursive: true, force: true });
  });

  it('finds equal trees equal at the leader\'s zxid, and reports no mismatch', async () => {
    const zxid = leader().replica.core.lastZxid;
    await waitUntil(() => followers().every((member) => member.replica.digests.last?.zxid === zxid), 'every follower compared at the last zxid', 10_000);
    for (const member of followers()) {
      const digests = member.replica.digests;
      assert.deepEqual(digests.last, { zxid, equal: true });
      assert.equal(digests.mismatches, 0);
      assert.equal(member.replica.core.tree.digest(), leader().replica.core.tree.digest());
      assert.equal(await mntrRow(member, 'digest_mismatches_count'), '0');
      assert.ok(Number(await mntrRow(member, 'digest_comparisons_count')) > 0);
    }
    assert.equal(leader().replica.digests.comparisons, 0, 'the leader is what the others compare with');
  });

  it('reports a follower whose tree diverged: an error line, mntr and /metrics, and only on that follower', async () => {
    const [corrupted, healthy] = followers() as [RunningMember, RunningMember];
    assert.ok(corrupted.replica.core.tree.replaceData('/digest/n7', Buffer.from('not what the leader has')));
    await waitUntil(() => corrupted.replica.digests.mismatches > 0, 'the corrupted follower reports a mismatch', 10_000);
    const errors = logs.get(corrupted.replica.id)!.filter((record) => record.level >= 50);
    assert.ok(errors.some((record) => record.msg.includes('DIGEST MISMATCH')), 'a loud error line');
    assert.ok(Number(await mntrRow(corrupted, 'digest_mismatches_count')) > 0);
    const metrics = new ServerMetrics(corrupted.replica.core, nodeServerProcess(Date.now()));
    metrics.member = corrupted.member;
    assert.match(await metrics.scrape(), /^digest_mismatches_count [1-9]\d*$/m);

    // The same history keeps comparing equal on the other follower, and later writes do not hide the divergence.
    await client.setData('/digest', Buffer.from('after'));
    const zxid = leader().replica.core.lastZxid;
    await waitUntil(() => healthy.replica.digests.last?.zxid === zxid && corrupted.replica.digests.last?.zxid === zxid, 'both compared after the write', 10_000);
    assert.deepEqual(healthy.replica.digests.last, { zxid, equal: true });
    assert.equal(healthy.replica.digests.mismatches, 0);
    assert.deepEqual(corrupted.replica.digests.last, { zxid, equal: false });
    assert.equal(logs.get(healthy.replica.id)!.filter((record) => record.level >= 50).length, 0);
  });
});
