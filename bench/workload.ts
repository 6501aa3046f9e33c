// What `meerkat bench` sends: for each workload, the request a session makes next. Pure: the choice
// between operations in `mixed` and `list-mix` comes from a seeded generator, so a run is reproducible.
//
// `list-mix` is the mix RaftKeeper and others publish: create 1 %, setData 8 %, getData 45 %,
// getChildren 45 %, delete 1 %, each session on its own parent of `keys` children (100 in the
// published case). Creates add ephemeral sequential children and deletes remove the oldest of them,
// so the lists stay at about `keys` children; a delete with none of its own to remove yet is a getData.

import { CreateMode, OpCode, type Request } from '../src/proto/index.js';

export type WorkloadName = 'read' | 'write' | 'mixed' | 'list-mix' | 'create-delete' | 'watch';
export const workloadNames: readonly WorkloadName[] = ['read', 'write', 'mixed', 'list-mix', 'create-delete', 'watch'];
/** `suite` is not a per-session workload: it runs phases on one session (bench/suite.ts). */
export const suiteWorkloadName = 'suite';

export interface WorkloadOptions {
  workload: WorkloadName;
  /** Percentage of reads in `mixed`. */
  readPct: number;
  valueSize: number;
  /** Keys per session (each session reads and writes its own keys). */
  keys: number;
}

/** Operation label used in results: one histogram per label ('watch': change sent → event received). */
export type OpLabel = 'read' | 'write' | 'list' | 'create' | 'delete' | 'watch';

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** A small seeded PRNG (mulberry32), so workloads are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function keyPath(session: number, key: number): string {
  return `/meerkat-bench/s${session}-k${key}`;
}

/** list-mix: the parent a session lists, and its children. */
export function listParentPath(session: number): string {
  return `/meerkat-bench/l${session}`;
}

function listChildPath(session: number, key: number): string {
  return `${listParentPath(session)}/k${key}`;
}

/** list-mix's cumulative shares, in percent: create, setData, getData, getChildren (delete: the rest). */
const listMix = { create: 1, setData: 9, getData: 54, getChildren: 99 } as const;

/**
 * Requests a session makes before measuring: the parent and its keys. Every session creates the
 * parent (all but one get NODEEXISTS, ignored): its own request is answered before its keys are made,
 * whichever session connects first.
 */
export function setupRequests(session: number, options: WorkloadOptions): Request[] {
  const value = Buffer.alloc(options.valueSize, 0x61);
  const requests: Request[] = [{ type: OpCode.create, path: '/meerkat-bench', data: Buffer.alloc(0), acl: open, flags: 0 }];
  if (options.workload === 'list-mix') {
    requests.push({ type: OpCode.create, path: listParentPath(session), data: Buffer.alloc(0), acl: open, flags: 0 });
    for (let key = 0; key < options.keys; key++) {
      requests.push({ type: OpCode.create, path: listChildPath(session, key), data: value, acl: open, flags: 0 });
    }
    return requests;
  }
  for (let key = 0; key < options.keys; key++) {
    requests.push({ type: OpCode.create, path: keyPath(session, key), data: value, acl: open, flags: 0 });
  }
  return requests;
}

/** Generates one session's measured requests. `next()` returns the request and its label. */
export class WorkloadGenerator {
  private counter = 0;
  private readonly value: Buffer;
  private readonly random: () => number;
  /** create-delete: paths created and not yet deleted. */
  private readonly created: string[] = [];

  constructor(private readonly session: number, private readonly options: WorkloadOptions, seed = session + 1) {
    this.value = Buffer.alloc(options.valueSize, 0x62);
    this.random = seededRandom(seed);
  }

  next(): { request: Request; label: OpLabel } {
    const key = this.counter++ % this.options.keys;
    const path = keyPath(this.session, key);
    switch (this.options.workload) {
      case 'read':
        return { request: { type: OpCode.getData, path, watch: false }, label: 'read' };
      case 'write':
        return { request: { type: OpCode.setData, path, data: this.value, version: -1 }, label: 'write' };
      case 'mixed':
        return this.random() * 100 < this.options.readPct
          ? { request: { type: OpCode.getData, path, watch: false }, label: 'read' }
          : { request: { type: OpCode.setData, path, data: this.value, version: -1 }, label: 'write' };
      case 'list-mix':
        return this.nextOfListMix();
      case 'watch':
        // Alternate: set a data watch on the key, then change it; the session measures the event.
        return this.counter % 2 === 1
          ? { request: { type: OpCode.getData, path: keyPath(this.session, 0), watch: true }, label: 'read' }
          : { request: { type: OpCode.setData, path: keyPath(this.session, 0), data: this.value, version: -1 }, label: 'write' };
      case 'create-delete': {
        const victim = this.created.shift();
        if (victim !== undefined) return { request: { type: OpCode.delete, path: victim, version: -1 }, label: 'delete' };
        return {
          request: { type: OpCode.create, path: `${keyPath(this.session, 0)}-e`, data: this.value, acl: open, flags: CreateMode.ephemeralSequential },
          label: 'create',
        };
      }
    }
  }

  private nextOfListMix(): { request: Request; label: OpLabel } {
    const { session } = this;
    const draw = this.random() * 100;
    const child = listChildPath(session, Math.floor(this.random() * this.options.keys));
    if (draw < listMix.create) {
      return {
        request: { type: OpCode.create, path: `${listParentPath(session)}/e`, data: this.value, acl: open, flags: CreateMode.ephemeralSequential },
        label: 'create',
      };
    }
    if (draw < listMix.setData) return { request: { type: OpCode.setData, path: child, data: this.value, version: -1 }, label: 'write' };
    if (draw < listMix.getChildren && draw >= listMix.getData) {
      return { request: { type: OpCode.getChildren, path: listParentPath(session), watch: false }, label: 'list' };
    }
    const victim = draw >= listMix.getChildren ? this.created.shift() : undefined;
    if (victim !== undefined) return { request: { type: OpCode.delete, path: victim, version: -1 }, label: 'delete' };
    return { request: { type: OpCode.getData, path: child, watch: false }, label: 'read' };
  }

  /** create-delete and list-mix learn the names the server gave their sequential nodes. */
  remember(path: string): void {
    this.created.push(path);
  }
}

/**
 * Open loop: the time each request is meant to be sent, evenly spaced at `ratePerSecond` from
 * `startMs`. Latency is measured from this intended time, so a stalled server cannot hide its stall
 * by slowing the load down (coordinated omission).
 */
export function intendedSendTimeMs(startMs: number, ratePerSecond: number, index: number): number {
  return startMs + (index * 1000) / ratePerSecond;
}
