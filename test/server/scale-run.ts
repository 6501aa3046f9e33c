// Runs a scale-sequence.ts sequence against one server over the wire, and compares what two
// servers answered and hold.
//
// Order: the steps of one batch (consecutive steps of one session) are pipelined on that session,
// at most `windowRequests` requests / `windowBytes` bytes in flight; replies are FIFO per session;
// a batch ends when its last reply is in, and only then does the next batch (perhaps another
// session) start. So every server applies the sequence in the same order.
//
// Zxid normalisation: ZooKeeper logs an error txn (consuming a zxid) for a failed write, Meerkat
// does not, so raw zxids drift apart. Each successful write's reply header carries the zxid of its
// txn; a zxid is shown as the index of the step that produced it (`#1234`), on each server from
// its own replies, so an mzxid or pzxid that points at the wrong operation still differs. Times are
// shown as `run` when inside the run's window (the servers ran at different moments).

import { appendFileSync } from 'node:fs';
import { type Request, type Response, type Stat, OpCode, errorCodeNames } from '../../src/proto/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { type PipelinedNode, describeData, dumpTreePipelined } from '../helpers/tree-dump.js';
import { type Part, type SessionName, type Step, carolCredentials, partOfPath } from './scale-sequence.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface StepReply {
  err: number;
  zxid: number;
  response?: Response;
}

export interface RunRecord {
  /** By step index; undefined for open steps. */
  replies: (StepReply | undefined)[];
  /** Reply zxid of each successful write or close → its step index. */
  zxidToStep: Map<number, number>;
  sessionNames: Map<bigint, SessionName>;
  clients: Map<SessionName, RawClient>;
  startedAtMs: number;
  endedAtMs: number;
}

const windowRequests = 256;
const windowBytes = 8 * 1024 * 1024;
const sessionTimeoutMs = 30_000;

const writeTypes: ReadonlySet<number> = new Set([
  OpCode.create, OpCode.create2, OpCode.createContainer, OpCode.createTTL, OpCode.delete, OpCode.setData, OpCode.setACL, OpCode.multi,
]);

function requestBytes(request: Request): number {
  if ('data' in request && request.data !== null) return request.data.length + 64;
  if (request.type === OpCode.multi) return request.ops.reduce((sum, op) => sum + ('data' in op && op.data !== null ? op.data.length : 0) + 64, 0);
  return 64;
}

function succeeded(reply: StepReply): boolean {
  if (reply.err !== 0) return false;
  return reply.response?.type !== OpCode.multi || reply.response.results.every((result) => result.type !== OpCode.error);
}

/** Connects a session that stays alive however long other sessions' batches take (pings). */
export async function connectSession(endpoint: Endpoint, options: { authenticate: boolean }): Promise<RawClient> {
  const client = await RawClient.connect({ ...endpoint, sessionTimeoutMs, replyTimeoutMs: 120_000, pingIntervalMs: 3000 });
  if (options.authenticate) {
    const reply = await client.request({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from(carolCredentials) });
    if (reply.header.err !== 0) throw new Error(`auth as carol failed: ${reply.header.err}`);
  }
  return client;
}

async function runBatch(client: RawClient, batch: { index: number; request: Request }[], replies: (StepReply | undefined)[]): Promise<void> {
  const inFlight: { done: Promise<void>; bytes: number }[] = [];
  let settled = 0;
  let bytes = 0;
  let failure: Error | undefined;
  for (const { index, request } of batch) {
    const size = requestBytes(request);
    while (settled < inFlight.length && (inFlight.length - settled >= windowRequests || bytes + size > windowBytes)) {
      const oldest = inFlight[settled++]!;
      await oldest.done;
      bytes -= oldest.bytes;
    }
    if (failure !== undefined) break;
    bytes += size;
    const done = client.request(request).then(
      (reply) => {
        replies[index] = { err: reply.header.err, zxid: reply.header.zxid, ...(reply.response === undefined ? {} : { response: reply.response }) };
      },
      (error: Error) => {
        failure ??= error;
      },
    );
    inFlight.push({ done, bytes: size });
  }
  await Promise.all(inFlight.map((entry) => entry.done));
  if (failure !== undefined) throw failure;
}

/** Runs every step on `endpoint`; sessions are left open (the caller dumps, then stops the server). */
export async function runSequence(endpoint: Endpoint, steps: readonly Step[]): Promise<RunRecord> {
  const record: RunRecord = {
    replies: new Array(steps.length), zxidToStep: new Map(), sessionNames: new Map(), clients: new Map(),
    startedAtMs: Date.now(), endedAtMs: 0,
  };
  let index = 0;
  while (index < steps.length) {
    const step = steps[index]!;
    if (step.kind === 'open') {
      const client = await connectSession(endpoint, { authenticate: step.session === 'main' });
      record.clients.set(step.session, client);
      record.sessionNames.set(client.sessionId, step.session);
      index++;
      continue;
    }
    const client = record.clients.get(step.session);
    if (client === undefined) throw new Error(`step ${index}: session ${step.session} is not open`);
    if (step.kind === 'close') {
      const reply = await client.close();
      record.replies[index] = { err: reply.header.err, zxid: reply.header.zxid };
      record.clients.delete(step.session);
      index++;
      continue;
    }
    const batch: { index: number; request: Request }[] = [];
    for (; index < steps.length; index++) {
      const next = steps[index]!;
      if (next.kind !== 'request' || next.session !== step.session) break;
      batch.push({ index, request: next.request });
    }
    await runBatch(client, batch, record.replies);
  }
  record.endedAtMs = Date.now();
  for (const [at, step] of steps.entries()) {
    const reply = record.replies[at];
    if (reply === undefined || !succeeded(reply)) continue;
    if (step.kind === 'close' || (step.kind === 'request' && writeTypes.has(step.request.type))) record.zxidToStep.set(reply.zxid, at);
  }
  return record;
}

/** Closes nothing: drops the sockets so the sessions (and their ephemerals) stay in the data directory. */
export function dropConnections(record: RunRecord): void {
  for (const client of record.clients.values()) client.destroy();
  record.clients.clear();
}

export async function dumpServer(endpoint: Endpoint): Promise<Map<string, PipelinedNode>> {
  const client = await connectSession(endpoint, { authenticate: true });
  try {
    return await dumpTreePipelined(client);
  } finally {
    client.destroy();
  }
}

// ---- normalisation and comparison ----------------------------------------------------------

export interface Normaliser {
  zxid(value: number): string | number;
  time(value: number): string | number;
  owner(value: bigint): string;
}

/**
 * Normalises through the zxids, session ids and time window of the runs a server has seen (in
 * order); a zxid is named by its run's prefix and step index.
 */
export function runNormaliser(runs: readonly { record: RunRecord; prefix: string }[]): Normaliser {
  const from = Math.min(...runs.map(({ record }) => record.startedAtMs)) - 1000;
  const to = Math.max(...runs.map(({ record }) => record.endedAtMs)) + 1000;
  const zxids = new Map<number, string>();
  const sessions = new Map<bigint, string>();
  for (const { record, prefix } of runs) {
    for (const [zxid, step] of record.zxidToStep) zxids.set(zxid, `${prefix}#${step}`);
    for (const [id, name] of record.sessionNames) sessions.set(id, `${prefix}${name}`);
  }
  return {
    zxid: (value) => (value === 0 ? 0 : (zxids.get(value) ?? `unmapped 0x${value.toString(16)}`)),
    time: (value) => (value === 0 ? 0 : value >= from && value <= to ? 'run' : value),
    owner: (value) => (value === 0n ? '0' : (sessions.get(value) ?? `0x${BigInt.asUintN(64, value).toString(16)}`)),
  };
}

/** Raw values: for comparing two servers that loaded the same data directory. */
export const rawNormaliser: Normaliser = {
  zxid: (value) => value,
  time: (value) => value,
  owner: (value) => `0x${BigInt.asUintN(64, value).toString(16)}`,
};

export function normaliseStat(stat: Stat, normaliser: Normaliser): Record<string, string | number> {
  return {
    czxid: normaliser.zxid(stat.czxid), mzxid: normaliser.zxid(stat.mzxid), pzxid: normaliser.zxid(stat.pzxid),
    ctime: normaliser.time(stat.ctime), mtime: normaliser.time(stat.mtime),
    version: stat.version, cversion: stat.cversion, aversion: stat.aversion,
    ephemeralOwner: normaliser.owner(stat.ephemeralOwner), dataLength: stat.dataLength, numChildren: stat.numChildren,
  };
}

export interface Difference {
  part: Part;
  where: string;
  field: string;
  zookeeper: unknown;
  meerkat: unknown;
}

const missing = '(absent)';

/** Every node's data, ACL and stat fields, in path order; each difference attributed to a part by path. */
export function compareTrees(
  zookeeper: { tree: Map<string, PipelinedNode>; normaliser: Normaliser },
  meerkat: { tree: Map<string, PipelinedNode>; normaliser: Normaliser },
): Difference[] {
  const differences: Difference[] = [];
  const paths = [...new Set([...zookeeper.tree.keys(), ...meerkat.tree.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const flat = (node: PipelinedNode | undefined, normaliser: Normaliser): Record<string, unknown> | undefined =>
    node === undefined ? undefined : { data: node.data, acl: node.acl.join(' '), ...normaliseStat(node.stat, normaliser) };
  for (const path of paths) {
    const expected = flat(zookeeper.tree.get(path), zookeeper.normaliser);
    const actual = flat(meerkat.tree.get(path), meerkat.normaliser);
    if (expected === undefined || actual === undefined) {
      differences.push({ part: partOfPath(path), where: path, field: 'exists', zookeeper: expected === undefined ? missing : 'yes', meerkat: actual === undefined ? missing : 'yes' });
      continue;
    }
    for (const field of Object.keys(expected)) {
      if (JSON.stringify(expected[field]) !== JSON.stringify(actual[field])) {
        differences.push({ part: partOfPath(path), where: path, field, zookeeper: expected[field], meerkat: actual[field] });
      }
    }
  }
  return differences;
}

function normaliseResponse(value: unknown, normaliser: Normaliser): unknown {
  if (value instanceof Uint8Array) return describeData(value);
  if (Array.isArray(value)) return value.map((item) => normaliseResponse(item, normaliser));
  if (value !== null && typeof value === 'object') {
    if ('czxid' in value && 'pzxid' in value) return normaliseStat(value as Stat, normaliser);
    // ZooKeeper lists children in its hash set's order; the order carries no meaning.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [
      key, key === 'children' && Array.isArray(item) ? [...(item as string[])].sort() : normaliseResponse(item, normaliser),
    ]));
  }
  return typeof value === 'bigint' ? value.toString() : (value ?? null);
}

const errName = (err: number): string => errorCodeNames.get(err) ?? String(err);

/** Each request's error code and reply body (stats normalised), step by step. */
export function compareReplies(
  steps: readonly Step[],
  zookeeper: { record: RunRecord; normaliser: Normaliser },
  meerkat: { record: RunRecord; normaliser: Normaliser },
): Difference[] {
  const differences: Difference[] = [];
  for (const [index, step] of steps.entries()) {
    if (step.kind !== 'request') continue;
    const expected = zookeeper.record.replies[index];
    const actual = meerkat.record.replies[index];
    const where = `step ${index} (${step.label})`;
    if (expected === undefined || actual === undefined) {
      differences.push({ part: step.part, where, field: 'reply', zookeeper: expected?.err ?? missing, meerkat: actual?.err ?? missing });
      continue;
    }
    if (expected.err !== actual.err) {
      differences.push({ part: step.part, where, field: 'err', zookeeper: errName(expected.err), meerkat: errName(actual.err) });
      continue;
    }
    const expectedBody = JSON.stringify(normaliseResponse(expected.response, zookeeper.normaliser));
    const actualBody = JSON.stringify(normaliseResponse(actual.response, meerkat.normaliser));
    if (expectedBody !== actualBody) differences.push({ part: step.part, where, field: 'body', zookeeper: expectedBody, meerkat: actualBody });
  }
  return differences;
}

/** How often the generator's model disagreed with ZooKeeper about success (model drift). */
export function modelDisagreements(steps: readonly Step[], record: RunRecord): number {
  let count = 0;
  for (const [index, step] of steps.entries()) {
    const reply = record.replies[index];
    if (step.kind !== 'request' || step.expectOk === undefined || reply === undefined) continue;
    if (succeeded(reply) !== step.expectOk) count++;
  }
  return count;
}

/**
 * A failure message: the seed and how to replay it, counts by part and by field, the first
 * differences overall and the first of each part. With MEERKAT_DIFF_REPORT=<file> set, every
 * difference is also appended to that file, one JSON object a line.
 */
export function report(title: string, differences: readonly Difference[], replay: string, shown = 12): string {
  const byPart = new Map<string, Difference[]>();
  const byField = new Map<string, number>();
  for (const difference of differences) {
    byPart.set(difference.part, [...(byPart.get(difference.part) ?? []), difference]);
    const key = `${difference.part}.${difference.field}`;
    byField.set(key, (byField.get(key) ?? 0) + 1);
  }
  const line = (d: Difference): string => `  [${d.part}] ${d.where} ${d.field}: zookeeper=${JSON.stringify(d.zookeeper)} meerkat=${JSON.stringify(d.meerkat)}`;
  const reportFile = process.env.MEERKAT_DIFF_REPORT;
  if (reportFile !== undefined && reportFile !== '') {
    appendFileSync(reportFile, differences.map((d) => `${JSON.stringify({ title, ...d })}\n`).join(''));
  }
  const first = differences[0];
  return [
    `${title}: ${differences.length} differences; replay: ${replay}`,
    first === undefined ? '' : `first: [${first.part}] ${first.where} ${first.field}`,
    `by part: ${[...byPart.entries()].map(([part, list]) => `${part}=${list.length}`).join(', ')}`,
    `by field: ${[...byField.entries()].map(([key, count]) => `${key}=${count}`).join(', ')}`,
    ...differences.slice(0, shown).map(line),
    differences.length > shown ? `  … and ${differences.length - shown} more` : '',
    'first of each part:',
    ...[...byPart.values()].flatMap((list) => list.slice(0, 3).map(line)),
  ].join('\n');
}
