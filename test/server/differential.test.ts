// Differential test: the same scripted session (differential-script.ts) runs against Apache
// ZooKeeper 3.8 and against Meerkat, and every reply — error code, body, stats, watch events — must
// be the same, modulo zxids, times and session ids (normalized below). ZooKeeper is the reference.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ReplyHeader, type Response, type Stat, errorCodeNames } from '../../src/proto/index.js';
import { startServer } from '../../src/runtime/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { referenceSkipReason, startReferenceZooKeeper } from '../helpers/reference-zookeeper.js';
import { type ClientName, differentialScript } from './differential-script.js';

interface Target {
  host: string;
  port: number;
  stop(): Promise<void>;
}

interface Outcome {
  label: string;
  err: string;
  response?: unknown;
  events: Record<ClientName, string[]>;
}

/** Zxids and times differ between servers; keep only whether they are zero and how they relate. */
function normalizeStat(stat: Stat, owners: Map<bigint, string>): Record<string, unknown> {
  const zxid = (value: number): string | number => (value === 0 ? 0 : value === stat.czxid ? 'czxid' : 'zxid');
  return {
    czxid: stat.czxid === 0 ? 0 : 'zxid',
    mzxid: zxid(stat.mzxid),
    pzxid: zxid(stat.pzxid),
    ctime: stat.ctime === 0 ? 0 : 'time',
    mtime: stat.mtime === 0 ? 0 : 'time',
    version: stat.version,
    cversion: stat.cversion,
    aversion: stat.aversion,
    ephemeralOwner: owners.get(stat.ephemeralOwner) ?? `0x${BigInt.asUintN(64, stat.ephemeralOwner).toString(16)}`,
    dataLength: stat.dataLength,
    numChildren: stat.numChildren,
  };
}

function normalize(value: unknown, owners: Map<bigint, string>): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('latin1');
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(item, owners));
    return items.every((item) => typeof item === 'string') ? [...items].sort() : items;
  }
  if (value !== null && typeof value === 'object') {
    if ('czxid' in value && 'pzxid' in value) return normalizeStat(value as Stat, owners);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, normalize(item, owners)]));
  }
  return typeof value === 'bigint' ? value.toString() : value;
}

function errName(header: ReplyHeader): string {
  return errorCodeNames.get(header.err) ?? String(header.err);
}

async function runScript(target: Target): Promise<Outcome[]> {
  const clients: Record<ClientName, RawClient> = {
    a: await RawClient.connect({ host: target.host, port: target.port, sessionTimeoutMs: 30_000 }),
    b: await RawClient.connect({ host: target.host, port: target.port, sessionTimeoutMs: 30_000 }),
  };
  const owners = new Map<bigint, string>([
    [0n, '0'], [clients.a.sessionId, 'session-a'], [clients.b.sessionId, 'session-b'],
    [-0x8000000000000000n, 'container'],
  ]);
  const closed = new Set<ClientName>();
  const drainEvents = async (): Promise<Record<ClientName, string[]>> => {
    // A ping is answered after every notification the server queued for that connection before it.
    const events = { a: [] as string[], b: [] as string[] };
    for (const name of ['a', 'b'] as const) {
      if (closed.has(name)) continue;
      await clients[name].ping();
      events[name] = clients[name].takeNotifications().map((n) => `${n.event.type}:${n.event.state}:${n.event.path}`);
    }
    return events;
  };
  const outcomes: Outcome[] = [];
  for (const step of differentialScript) {
    const reply = await clients[step.on].request(step.request);
    const response: Response | undefined = reply.response;
    outcomes.push({
      label: step.label, err: errName(reply.header),
      ...(response === undefined ? {} : { response: normalize(response, owners) }),
      events: await drainEvents(),
    });
  }
  await clients.b.close();
  closed.add('b');
  outcomes.push({ label: 'close session b', err: 'ok', events: await drainEvents() });
  await clients.a.close();
  return outcomes;
}

const skip = referenceSkipReason();

describe('differential: Meerkat answers like Apache ZooKeeper 3.8', { skip }, () => {
  let reference: Outcome[];
  let meerkat: Outcome[];
  let dataDir: string;

  before(async () => {
    const zk = await startReferenceZooKeeper();
    try {
      reference = await runScript({ host: zk.host, port: zk.port, stop: () => zk.stop() });
    } finally {
      await zk.stop();
    }
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-diff-'));
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent' });
    try {
      meerkat = await runScript({ host: server.host, port: server.port, stop: () => server.close() });
    } finally {
      await server.close();
    }
  });

  after(() => {
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs the whole script on both servers', () => {
    assert.equal(meerkat.length, reference.length);
  });

  it('gives the same error code, reply and watch events at every step', () => {
    const differences: string[] = [];
    for (const [index, expected] of reference.entries()) {
      const actual = meerkat[index];
      try {
        assert.deepEqual(actual, expected);
      } catch {
        differences.push(`step ${index} (${expected.label}):\n  zookeeper: ${JSON.stringify(expected)}\n  meerkat:   ${JSON.stringify(actual)}`);
      }
    }
    assert.equal(differences.length, 0, `${differences.length} steps differ:\n${differences.join('\n')}`);
  });
});
