// Quotas against Apache ZooKeeper 3.8 as the reference, over the wire, with enforcement on
// (zoo.cfg enforceQuota=true on both: ZooKeeper turns the key into the system property
// zookeeper.enforceQuota). zkCli's setquota, listquota and delquota run in one zkCli session per
// server; a raw client creates, sets and deletes under the quota'd paths, writes limits and stats
// nodes the way zkCli does, and reads every quota node after every step. Error codes, the quota
// nodes' data and zkCli's output must be the same on both.

import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateMode, type MultiWriteOp, OpCode, type Request, errorCodeNames } from '../../src/proto/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';
import { startMeerkat } from '../helpers/server-fixture.js';
import { CliSession, zooKeeperToolsSkipReason } from '../helpers/zk-cli.js';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const quotaNodes = [
  '/zookeeper/quota/q/zookeeper_limits', '/zookeeper/quota/q/zookeeper_stats',
  '/zookeeper/quota/r/zookeeper_limits', '/zookeeper/quota/r/zookeeper_stats',
];

interface Outcome {
  label: string;
  /** Error code name of the write, or zkCli's output for a zkCli step. */
  result: string;
  /** Data of each quota node after the step (absent: no node). */
  quota: Record<string, string>;
}

const create = (path: string, data = '', flags: number = CreateMode.persistent): Request & MultiWriteOp => ({
  type: OpCode.create, path, data: Buffer.from(data), acl: open, flags,
});
const setData = (path: string, data: string): Request & MultiWriteOp => ({ type: OpCode.setData, path, data: Buffer.from(data), version: -1 });
const remove = (path: string): Request => ({ type: OpCode.delete, path, version: -1 });

type Step = { label: string; request: Request } | { label: string; zkCli: string };

/** A raw write, or a zkCli command. */
const steps: Step[] = [
  { label: 'create /q', request: create('/q', 'ab') },
  { label: 'create /q/a', request: create('/q/a', '123') },
  { label: 'setquota hard count', zkCli: 'setquota -N 4 /q' },
  { label: 'setquota soft bytes on the same path (merged into its limits)', zkCli: 'setquota -b 12 /q' },
  { label: 'create /q/b', request: create('/q/b', 'xyzw') },
  { label: 'setData past the soft byte limit: only logged', request: setData('/q/a', '1234567') },
  { label: 'create /q/c: the fourth node', request: create('/q/c') },
  { label: 'create /q/d: past the hard count limit', request: create('/q/d') },
  { label: 'sequential create under /q/a: past it too', request: create('/q/a/s-', '', CreateMode.persistentSequential) },
  { label: 'delete /q/b', request: remove('/q/b') },
  { label: 'create /q/d now fits', request: create('/q/d', 'dd') },
  { label: 'create /r', request: create('/r', 'xy') },
  { label: 'create /zookeeper/quota/r as zkCli does', request: create('/zookeeper/quota/r') },
  { label: 'create the limits node: hard byte limit 8', request: create('/zookeeper/quota/r/zookeeper_limits', 'count=-1,bytes=-1=;byteHardLimit=8;countHardLimit=-1') },
  { label: 'create the stats node at zero: the server counts /r', request: create('/zookeeper/quota/r/zookeeper_stats', 'count=0,bytes=0') },
  { label: 'create /r/x up to the byte limit', request: create('/r/x', '123456') },
  { label: 'create /r/y past it', request: create('/r/y', '1') },
  { label: 'create /r/y without data: bytes unchanged, not checked', request: create('/r/y') },
  { label: 'setData /r shrinking', request: setData('/r', '') },
  { label: 'setData /r/x growing within the limit', request: setData('/r/x', '1234567') },
  { label: 'multi: each create checked against the applied stats', request: { type: OpCode.multi, ops: [create('/r/m1', '1'), create('/r/m2', '1')] } },
  { label: 'setData /r/y over the limit after the multi', request: setData('/r/y', '1') },
  { label: 'a client rewrites the stats', request: setData('/zookeeper/quota/r/zookeeper_stats', 'count=1,bytes=0;extra=5') },
  { label: 'create /r/z counts from what the client wrote', request: create('/r/z', '12') },
  { label: 'setData /r/z with as many bytes rewrites the stats', request: setData('/r/z', '34') },
  { label: 'listquota /r', zkCli: 'listquota /r' },
  { label: 'delquota -N /q: the hard count limit goes', zkCli: 'delquota -N /q' },
  { label: 'create /q/e: no hard limit left, soft bytes only logged', request: create('/q/e', 'eeeeeeeeee') },
  { label: 'delquota /q: the quota nodes go', zkCli: 'delquota /q' },
  { label: 'create /q/f: no quota', request: create('/q/f', 'f') },
  { label: 'delete the limits node of /r', request: remove('/zookeeper/quota/r/zookeeper_limits') },
  { label: 'create /r/w: the stats stay as they were', request: create('/r/w', 'www') },
];

/** zkCli prints nothing for most commands: `ls /zookeeper` after each marks where its output ends. */
const sentinel = 'ls /zookeeper';
const sentinelOutput = /^\[config, quota\]$/m;

async function runSteps(target: { host: string; port: number }): Promise<Outcome[]> {
  const client = await RawClient.connect({ host: target.host, port: target.port, sessionTimeoutMs: 30_000 });
  const cli = CliSession.zkCli(target);
  try {
    await cli.waitFor(/type:None path:null/, { timeoutMs: 30_000 });
    const outcomes: Outcome[] = [];
    for (const step of steps) {
      let result: string;
      if ('zkCli' in step) {
        const from = cli.output().length;
        cli.send(step.zkCli);
        cli.send(sentinel);
        await cli.waitFor(sentinelOutput, { timeoutMs: 20_000 });
        result = cli.output().slice(from).replace(sentinelOutput, '').trim();
      } else {
        const reply = await client.request(step.request);
        result = errorCodeNames.get(reply.header.err) ?? String(reply.header.err);
      }
      const quota: Record<string, string> = {};
      for (const path of quotaNodes) {
        const reply = await client.request({ type: OpCode.getData, path, watch: false });
        if (reply.response?.type === OpCode.getData) quota[path.slice('/zookeeper/quota'.length)] = Buffer.from(reply.response.data ?? []).toString('utf8');
      }
      outcomes.push({ label: step.label, result, quota });
    }
    return outcomes;
  } finally {
    await cli.close();
    await client.close();
  }
}

const skip = referenceSkipReason() || zooKeeperToolsSkipReason();

describe('quotas: Meerkat tracks and enforces them like Apache ZooKeeper 3.8', { skip }, () => {
  let reference: Outcome[];
  let meerkat: Outcome[];

  before(async () => {
    const zk = await startReferenceZooKeeper({ config: { enforceQuota: 'true' } });
    try {
      reference = await runSteps(zk);
    } finally {
      await zk.stop();
    }
    const server = await startMeerkat({ enforceQuota: true });
    try {
      meerkat = await runSteps(server);
    } finally {
      await server.stop();
    }
  });

  it('ZooKeeper (the reference) counted, refused and logged as this test expects', () => {
    const byLabel = new Map(reference.map((outcome) => [outcome.label, outcome]));
    assert.equal(byLabel.get('create /q/d: past the hard count limit')!.result, 'quotaExceeded');
    assert.equal(byLabel.get('create /r/y past it')!.result, 'quotaExceeded');
    assert.equal(byLabel.get('setData past the soft byte limit: only logged')!.result, 'ok');
    assert.equal(byLabel.get('create the stats node at zero: the server counts /r')!.quota['/r/zookeeper_stats'], 'count=1,bytes=2');
  });

  it('gives every write the same answer, and the quota nodes the same data, after every step', () => {
    assert.equal(meerkat.length, reference.length);
    for (const [index, expected] of reference.entries()) assert.deepEqual(meerkat[index], expected, expected.label);
  });
});
