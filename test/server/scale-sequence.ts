// The seeded operation sequence of the at-scale differential test (differential-scale.test.ts).
//
// Core part (always on), from Prng(seed), aimed with a naive model (scale-model.ts), all under /s:
// creates of every mode (persistent, sequential, ephemeral, ephemeral-sequential, container, TTL,
// through create, create2, createContainer and createTTL), setData with sizes from 0 bytes up to a
// few values near 1 MB, deletes with and without a version, setACL with five ACL kinds, multi (about
// a third built to fail), reads, and ephemerals from five sessions of which three are closed during
// the run. Operations go out in batches: consecutive steps of one session form a batch that the
// runner pipelines; batches run one after the other, so the order of effects is the sequence order.
//
// Known-difference parts (scale-known-parts.ts), each in its own subtree and drawn from its own Prng
// (turning one on or off changes neither the others nor the core). Their steps are spliced into the
// core at seeded positions.

import { createHash } from 'node:crypto';
import { type Acl, CreateMode, type MultiWriteOp, OpCode, type Request, opCodeNames } from '../../src/proto/index.js';
import { Prng } from '../../sim/prng.js';
import { type AclKind, type CreateKind, type SessionName, TreeModel } from './scale-model.js';
import { knownPartSteps } from './scale-known-parts.js';

export type { SessionName } from './scale-model.js';

/** Differences other engineers are fixing; each is a separable part of the sequence. */
export type KnownPart = 'nullData' | 'badPaths' | 'ttlAboveMax' | 'quotaStats';
export type Part = 'reproduction' | 'core' | KnownPart;

export type Step =
  | { kind: 'request'; session: SessionName; part: Part; request: Request; label: string; expectOk: boolean | undefined }
  | { kind: 'open'; session: SessionName }
  | { kind: 'close'; session: SessionName };

export const carolCredentials = 'carol:pw';
const carolDigestId = `carol:${createHash('sha1').update(carolCredentials).digest('base64')}`;
const world = (perms: number): Acl => ({ perms, id: { scheme: 'world', id: 'anyone' } });
const carolAll: Acl = { perms: 31, id: { scheme: 'digest', id: carolDigestId } };
export const openAcl: Acl[] = [world(31)];
const aclKinds: readonly AclKind[] = ['open', 'open', 'open', 'noAdmin', 'readOnlyCarol', 'carolOnly', 'ip'];

/** The wire ACL of a kind; the main session (carol) sometimes says it through the `auth` scheme. */
function aclOf(kind: AclKind, viaAuth: boolean): Acl[] {
  switch (kind) {
    case 'open': return openAcl;
    case 'noAdmin': return [world(15)];
    case 'readOnlyCarol': return viaAuth ? [world(1), { perms: 31, id: { scheme: 'auth', id: '' } }] : [world(1), carolAll];
    case 'carolOnly': return [carolAll];
    case 'ip': return [{ perms: 31, id: { scheme: 'ip', id: '127.0.0.1' } }];
  }
}

/** Which subtree each part writes in; a tree difference is attributed by path. */
export const partRoots: Record<Exclude<Part, 'core'>, readonly string[]> = {
  reproduction: ['/after'],
  nullData: ['/known-null'],
  badPaths: ['/known-badpath'],
  ttlAboveMax: ['/known-ttl'],
  quotaStats: ['/known-quota', '/zookeeper/quota/known-quota'],
};

export function partOfPath(path: string): Part {
  for (const [part, roots] of Object.entries(partRoots) as [Exclude<Part, 'core'>, readonly string[]][]) {
    if (roots.some((root) => path === root || path.startsWith(`${root}/`))) return part;
  }
  return 'core';
}

export interface SequenceOptions {
  seed: number;
  /** Core operations (requests), not counting session opens and closes or the known parts. */
  operations: number;
  parts: Readonly<Record<KnownPart, boolean>>;
}

/** Data of `size` bytes that differs from write to write: a seeded 64-byte block, repeated. */
function dataOf(rng: Prng, size: number): Uint8Array {
  const block = Buffer.alloc(Math.min(size, 64));
  for (let i = 0; i < block.length; i++) block[i] = rng.uint32() & 0xff;
  if (size <= 64) return block;
  const data = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += 64) block.copy(data, at, 0, Math.min(64, size - at));
  return data;
}

/** Sizes: mostly small, some KB, a few hundred KB; the near-1 MB writes are placed separately. */
function sizeOf(rng: Prng): number {
  const roll = rng.float();
  if (roll < 0.1) return 0;
  if (roll < 0.65) return rng.int(1, 64);
  if (roll < 0.96) return rng.int(65, 4096);
  if (roll < 0.997) return rng.int(4097, 65_536);
  return rng.int(65_537, 200_000);
}

/** Near jute.maxbuffer (1 MiB - 1 on ZooKeeper), leaving room for the path and the frame's header. */
const nearMegabyteBytes = { min: 1_000_000, max: 1_040_000, writes: 6 } as const;

class CoreGenerator {
  readonly steps: Step[] = [];
  private readonly model = new TreeModel('/s');
  private readonly rng: Prng;
  private readonly open = new Set<SessionName>();
  private readonly gone: string[] = [];
  /** Sorted request counts from which the next plain setData on main writes near 1 MB. */
  private readonly bigWrites: number[] = [];
  private bigWritesDone = 0;
  private requests = 0;
  private nameCounter = 0;

  constructor(private readonly options: SequenceOptions) {
    this.rng = new Prng(options.seed);
    for (let i = 0; i < nearMegabyteBytes.writes; i++) this.bigWrites.push(this.rng.int(0, options.operations - 1));
    this.bigWrites.sort((a, b) => a - b);
  }

  generate(): Step[] {
    for (const session of ['main', 'e1', 'e2', 'e3'] as const) this.openSession(session);
    const root = this.model.create('main', '/s', { kind: 'persistent', sequential: false, acl: 'open' });
    this.push('main', { type: OpCode.create, path: '/s', data: Buffer.from('core'), acl: openAcl, flags: 0 }, root !== undefined);
    const total = this.options.operations;
    const milestones = [
      { at: Math.floor(total / 3), close: ['e1'], open: ['e4'] },
      { at: Math.floor((2 * total) / 3), close: ['e2', 'e3'], open: ['e5'] },
    ] as const;
    let milestone = 0;
    while (this.requests < total) {
      const session = this.rng.chance(0.7) ? 'main' : this.rng.pick([...this.open].filter((name) => name !== 'main'));
      const length = session === 'main' ? this.rng.int(40, 300) : this.rng.int(5, 40);
      for (let i = 0; i < length && this.requests < total; i++) this.operation(session);
      const next = milestones[milestone];
      if (next !== undefined && this.requests >= next.at) {
        for (const name of next.close) this.closeSession(name);
        for (const name of next.open) this.openSession(name);
        milestone++;
      }
    }
    return this.steps;
  }

  private openSession(session: SessionName): void {
    this.open.add(session);
    this.steps.push({ kind: 'open', session });
  }

  private closeSession(session: SessionName): void {
    this.open.delete(session);
    this.model.closeSession(session);
    this.steps.push({ kind: 'close', session });
  }

  private push(session: SessionName, request: Request, expectOk: boolean | undefined): void {
    const label = `${session} ${opCodeNames.get(request.type) ?? request.type} ${'path' in request ? request.path : ''}`;
    this.steps.push({ kind: 'request', session, part: 'core', request, label, expectOk });
    this.requests++;
  }

  private operation(session: SessionName): void {
    const roll = this.rng.float();
    const main = session === 'main';
    if (roll < (main ? 0.4 : 0.55)) this.create(session);
    else if (roll < (main ? 0.64 : 0.75)) this.setData(session);
    else if (roll < (main ? 0.78 : 0.85)) this.delete(session);
    else if (roll < (main ? 0.84 : 0.86)) this.setAcl(session);
    else if (roll < 0.94) this.multi(session);
    else this.read(session);
  }

  /** A random existing node, or (rarely) a path that is gone or never was. */
  private target(missingChance: number): string {
    if (this.model.size === 0 || this.rng.chance(missingChance)) {
      return this.gone.length > 0 && this.rng.chance(0.7) ? this.rng.pick(this.gone) : `/s/never-${this.rng.int(0, 999)}`;
    }
    return this.model.pathAt(this.rng.int(0, this.model.size - 1));
  }

  private version(current: number | undefined): number {
    const roll = this.rng.float();
    if (roll < 0.5 || current === undefined) return -1;
    return roll < 0.9 ? current : current + 1;
  }

  private createSpec(session: SessionName): { path: string; kind: CreateKind; sequential: boolean; acl: AclKind; request: Request } {
    let parent = this.target(0.03);
    for (let tries = 0; tries < 3 && this.model.get(parent)?.owner !== null && this.model.get(parent) !== undefined && this.rng.chance(0.9); tries++) {
      parent = this.target(0);
    }
    const siblings = [...(this.model.get(parent)?.children ?? [])];
    const reuse = siblings.length > 0 && this.rng.chance(0.05);
    const name = reuse ? this.rng.pick(siblings) : `${session === 'main' ? 'n' : session}${this.nameCounter++}`;
    const main = session === 'main';
    const roll = this.rng.float();
    const kind: CreateKind = main
      ? roll < 0.6 ? 'persistent' : roll < 0.77 ? 'ephemeral' : roll < 0.9 ? 'container' : 'ttl'
      : roll < 0.75 ? 'ephemeral' : 'persistent';
    const sequential = kind !== 'container' && this.rng.chance(main ? 0.25 : 0.35);
    const path = `${parent}/${name}${sequential ? '-' : ''}`;
    const acl = this.rng.chance(0.8) ? 'open' : this.rng.pick(aclKinds);
    const data = dataOf(this.rng, sizeOf(this.rng));
    const wireAcl = aclOf(acl, main && this.rng.chance(0.5));
    const flags = {
      persistent: sequential ? CreateMode.persistentSequential : CreateMode.persistent,
      ephemeral: sequential ? CreateMode.ephemeralSequential : CreateMode.ephemeral,
      container: CreateMode.container,
      ttl: sequential ? CreateMode.persistentSequentialWithTtl : CreateMode.persistentWithTtl,
    }[kind];
    let request: Request;
    if (kind === 'container') request = { type: OpCode.createContainer, path, data, acl: wireAcl, flags };
    else if (kind === 'ttl') request = { type: OpCode.createTTL, path, data, acl: wireAcl, flags, ttl: this.rng.int(3_600_000, 86_400_000) };
    else request = { type: this.rng.chance(0.3) ? OpCode.create2 : OpCode.create, path, data, acl: wireAcl, flags };
    return { path, kind, sequential, acl, request };
  }

  private create(session: SessionName): void {
    const spec = this.createSpec(session);
    const created = this.model.create(session, spec.path, spec);
    this.push(session, spec.request, created !== undefined);
  }

  /** `mayBeBig`: a plain setData, not one inside a multi (two near-1 MB values would not fit one frame). */
  private setDataRequest(session: SessionName, mayBeBig: boolean): { request: Request & { type: typeof OpCode.setData }; apply: () => boolean } {
    const path = this.target(0.03);
    const version = this.version(this.model.get(path)?.version);
    const due = this.bigWrites[this.bigWritesDone];
    const big = mayBeBig && session === 'main' && due !== undefined && this.requests >= due;
    if (big) this.bigWritesDone++;
    const size = big ? this.rng.int(nearMegabyteBytes.min, nearMegabyteBytes.max) : sizeOf(this.rng);
    const request = { type: OpCode.setData, path, data: dataOf(this.rng, size), version } as const;
    return { request, apply: () => this.model.setData(session, path, version) };
  }

  private setData(session: SessionName): void {
    const { request, apply } = this.setDataRequest(session, true);
    this.push(session, request, apply());
  }

  private deleteTarget(): string {
    let path = this.target(0.05);
    for (let tries = 0; tries < 4 && (this.model.get(path)?.children.size ?? 0) > 0 && this.rng.chance(0.85); tries++) path = this.target(0);
    return path;
  }

  private delete(session: SessionName): void {
    const path = this.deleteTarget();
    const version = this.version(this.model.get(path)?.version);
    const ok = this.model.delete(session, path, version);
    if (ok) this.gone.push(path);
    this.push(session, { type: OpCode.delete, path, version }, ok);
  }

  private setAcl(session: SessionName): void {
    const path = this.target(0.03);
    const kind = this.rng.pick(aclKinds);
    const version = this.version(this.model.get(path)?.aversion);
    const viaAuth = this.rng.chance(0.5);
    // The `auth` scheme needs an authenticated session: anonymous sessions get INVALIDACL.
    const acl = aclOf(kind, viaAuth);
    const valid = session === 'main' || !acl.some((entry) => entry.id.scheme === 'auth');
    const ok = valid && this.model.setAcl(session, path, { acl: kind, version });
    this.push(session, { type: OpCode.setACL, path, acl, version }, ok);
  }

  /** 1–6 operations; about a third carry an operation built to fail, at a random position. */
  private multi(session: SessionName): void {
    const count = this.rng.int(1, 6);
    const failAt = this.rng.chance(0.33) ? this.rng.int(0, count - 1) : -1;
    const ops: MultiWriteOp[] = [];
    const applies: (() => boolean)[] = [];
    for (let i = 0; i < count; i++) {
      const roll = this.rng.float();
      if (i === failAt) {
        const path = this.target(0.2);
        const version = (this.model.get(path)?.version ?? 0) + 1;
        ops.push({ type: OpCode.check, path, version });
        applies.push(() => this.model.check(session, path, version));
      } else if (roll < 0.4) {
        const spec = this.createSpec(session);
        if (spec.request.type === OpCode.create2 || spec.request.type === OpCode.create) ops.push({ ...spec.request, type: OpCode.create });
        else ops.push(spec.request as MultiWriteOp);
        applies.push(() => this.model.create(session, spec.path, spec) !== undefined);
      } else if (roll < 0.65) {
        const { request, apply } = this.setDataRequest(session, false);
        ops.push(request);
        applies.push(apply);
      } else if (roll < 0.8) {
        const path = this.deleteTarget();
        const version = this.version(this.model.get(path)?.version);
        ops.push({ type: OpCode.delete, path, version });
        applies.push(() => {
          const ok = this.model.delete(session, path, version);
          if (ok) this.gone.push(path);
          return ok;
        });
      } else {
        const path = this.target(0.05);
        const version = this.version(this.model.get(path)?.version);
        ops.push({ type: OpCode.check, path, version });
        applies.push(() => this.model.check(session, path, version));
      }
    }
    // Operations are aimed at the tree before the multi; applying them in order shows what the
    // servers will do (a create may target a parent an earlier op deletes, and so on).
    const ok = this.model.atomically(applies);
    this.push(session, { type: OpCode.multi, ops }, ok);
  }

  private read(session: SessionName): void {
    const path = this.target(0.1);
    const type = this.rng.pick([OpCode.exists, OpCode.getData, OpCode.getChildren2] as const);
    this.push(session, { type, path, watch: false }, undefined);
  }
}

/** Salts so each known part draws from its own stream. */
const partSalts: Record<KnownPart, number> = { nullData: 0x6e75_6c6c, badPaths: 0x6261_6470, ttlAboveMax: 0x7474_6c6d, quotaStats: 0x7175_6f74 };

/** The whole sequence: the core, with each enabled known part spliced in at seeded positions. */
export function generateSequence(options: SequenceOptions): Step[] {
  let steps = new CoreGenerator(options).generate();
  for (const part of Object.keys(partSalts) as KnownPart[]) {
    if (!options.parts[part]) continue;
    const rng = new Prng((options.seed ^ partSalts[part]) >>> 0);
    const extra = knownPartSteps(part, rng);
    // After the opening sessions and /s (the first five steps); in order, at sorted random places.
    const places = extra.map(() => rng.int(5, steps.length)).sort((a, b) => a - b);
    const merged: Step[] = [];
    let next = 0;
    for (const [index, step] of steps.entries()) {
      while (next < extra.length && places[next] === index) merged.push(extra[next++]!);
      merged.push(step);
    }
    merged.push(...extra.slice(next));
    steps = merged;
  }
  return steps;
}

