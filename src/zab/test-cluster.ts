// Test-only harness: a few ZabCores wired by one global FIFO of messages, with instant (or withheld)
// persistence and a shared tick. Small and fully controllable, for scenario tests of the core; the
// randomized, faulty world lives in sim/.

import { QuorumPacketType, type Notification } from '../proto/index.js';
import { ZabCore, emptyDurableState } from './core.js';
import type { DurableState, LogEntry, Outbound, PersistRecord, Ready, RoleChange, ZabConfig } from './types.js';

export interface Sent extends Outbound {
  from: number;
}

export const testTimeouts = {
  initLimitTicks: 10, syncLimitTicks: 5, pingIntervalTicks: 1, finalizeWaitTicks: 2, electionResendTicks: 3, connectRetryTicks: 2,
} as const;

export class TestCluster {
  readonly cores = new Map<number, ZabCore>();
  readonly inFlight: Sent[] = [];
  readonly persisted = new Map<number, PersistRecord[]>();
  readonly applied = new Map<number, LogEntry[]>();
  readonly roles = new Map<number, RoleChange[]>();
  readonly readies = new Map<number, Ready[]>();
  /** Servers whose txn writes are never reported durable (a stuck disk). */
  readonly withholdPersist = new Set<number>();
  /** Servers cut off: messages to and from them vanish (isolate() breaks their connections first). */
  private readonly isolated = new Set<number>();
  /** Servers whose outgoing messages vanish (they are about to crash before sending). */
  private readonly muted = new Set<number>();
  /** Mute a server from the first Ready matching the predicate on (persisted, then silence). */
  readonly muteFrom = new Map<number, (ready: Ready) => boolean>();
  /** Each server's disk: epochs and log, of which the first `durable` entries survive a crash. */
  private readonly disks = new Map<number, { acceptedEpoch: number; currentEpoch: number; snapshotZxid: number; log: LogEntry[]; durable: number }>();
  private readonly configs = new Map<number, ZabConfig>();
  /** A readable log of what happened (deliveries except PING, persists, applies, role changes). */
  readonly trace: string[] = [];
  private ticks = 0;

  constructor(voters: number[], options: { durable?: Map<number, DurableState>; config?: Partial<ZabConfig>; observers?: number[] } = {}) {
    const observers = options.observers ?? [];
    for (const id of [...voters, ...observers]) {
      this.persisted.set(id, []);
      this.applied.set(id, []);
      this.roles.set(id, []);
      this.readies.set(id, []);
      const config: ZabConfig = { id, voters, observers, ...testTimeouts, ...options.config };
      const initial = options.durable?.get(id) ?? emptyDurableState;
      this.configs.set(id, config);
      this.disks.set(id, { acceptedEpoch: initial.acceptedEpoch, currentEpoch: initial.currentEpoch, snapshotZxid: 0, log: [...initial.log], durable: initial.log.length });
      this.cores.set(id, new ZabCore(config, initial));
      this.drain(id);
    }
  }

  core(id: number): ZabCore {
    return this.cores.get(id)!;
  }

  /** Processes a server's Ready as a driver would, with instant durability unless withheld. */
  drain(id: number): void {
    const core = this.core(id);
    while (core.hasReady()) {
      const ready = core.ready();
      this.readies.get(id)!.push(ready);
      if (this.muteFrom.get(id)?.(ready)) this.muted.add(id);
      this.persisted.get(id)!.push(...ready.persist);
      for (const record of ready.persist) {
        this.write(id, record);
        this.note(`${id} persists ${describeRecord(record)}`);
      }
      for (const committed of ready.commits) this.note(`${id} applies ${hex(committed.zxid)}`);
      for (const change of ready.roleChanges) {
        this.note(`${id} is ${change.role}${change.established ? ' (established)' : ''}, leader ${change.leader}, epoch ${change.epoch}: ${change.reason}`);
      }
      this.applied.get(id)!.push(...ready.commits);
      this.roles.get(id)!.push(...ready.roleChanges);
      if (!this.muted.has(id)) for (const message of ready.messages) this.inFlight.push({ from: id, ...this.withSnapshot(id, message) });
      const lastTxn = ready.persist.filter((record) => record.kind === 'txn').at(-1);
      if (lastTxn !== undefined && !this.withholdPersist.has(id)) this.reportDurable(id);
    }
  }

  private write(id: number, record: PersistRecord): void {
    const disk = this.disks.get(id)!;
    if (record.kind === 'txn') disk.log.push(record.entry);
    else if (record.kind === 'truncate') {
      disk.log = disk.log.filter((logged) => logged.zxid <= record.zxid);
      disk.durable = Math.min(disk.durable, disk.log.length);
    } else if (record.kind === 'acceptedEpoch') disk.acceptedEpoch = record.epoch;
    else if (record.kind === 'currentEpoch') disk.currentEpoch = record.epoch;
    else {
      disk.log = [];
      disk.durable = 0;
      disk.snapshotZxid = record.zxid;
    }
  }

  private reportDurable(id: number): void {
    const disk = this.disks.get(id)!;
    disk.durable = disk.log.length;
    if (disk.log.length > 0) this.core(id).persisted(disk.log[disk.log.length - 1]!.zxid);
  }

  /** Cuts a server off; like TCP, its connections break and both ends are told. */
  isolate(id: number): void {
    this.isolated.add(id);
    this.breakConnections(id);
  }

  heal(id: number): void {
    this.isolated.delete(id);
  }

  private breakConnections(id: number): void {
    for (let i = this.inFlight.length - 1; i >= 0; i--) {
      if (this.inFlight[i]!.from === id || this.inFlight[i]!.to === id) this.inFlight.splice(i, 1);
    }
    for (const peer of this.cores.keys()) {
      if (peer === id) continue;
      this.core(peer).disconnected(id);
      this.drain(peer);
      this.core(id).disconnected(peer);
      this.drain(id);
    }
  }

  /** Crash and restart: unsynced txns are lost, connections break, the state machine starts empty. */
  restart(id: number): void {
    const disk = this.disks.get(id)!;
    if (disk.snapshotZxid !== 0) throw new Error('TestCluster cannot restart a server that installed a snapshot');
    disk.log.length = disk.durable;
    this.muted.delete(id);
    this.muteFrom.delete(id);
    this.withholdPersist.delete(id);
    this.applied.set(id, []);
    const durable = { acceptedEpoch: disk.acceptedEpoch, currentEpoch: disk.currentEpoch, snapshotZxid: 0, log: [...disk.log] };
    this.cores.set(id, new ZabCore(this.configs.get(id)!, durable));
    this.breakConnections(id);
  }

  private withSnapshot(id: number, message: Outbound): Outbound {
    if (message.message.kind !== 'packet' || message.message.packet.type !== QuorumPacketType.snap) return message;
    const marker = new TextEncoder().encode(`state of ${id}`);
    return { to: message.to, message: { kind: 'packet', packet: { ...message.message.packet, data: marker } } };
  }

  /** Reports everything written so far as durable (after withholding). */
  release(id: number): void {
    this.withholdPersist.delete(id);
    this.reportDurable(id);
    this.drain(id);
  }

  deliverOne(): boolean {
    const next = this.inFlight.shift();
    if (next === undefined) return false;
    if (this.isolated.has(next.from) || this.isolated.has(next.to)) return true;
    if (next.message.kind === 'notification') this.note(`${next.from}->${next.to} ${describeVote(next.message.notification)}`);
    else if (next.message.packet.type !== QuorumPacketType.ping) {
      const { type, zxid } = next.message.packet;
      this.note(`${next.from}->${next.to} ${packetNames.get(type) ?? type} ${hex(zxid)}`);
    }
    this.core(next.to).step(next.from, next.message);
    this.drain(next.to);
    return true;
  }

  deliverAll(limit = 10_000): void {
    for (let i = 0; i < limit && this.deliverOne(); i++);
  }

  private note(line: string): void {
    this.trace.push(`t${this.ticks} ${line}`);
  }

  tick(count = 1): void {
    for (let i = 0; i < count; i++) {
      this.ticks += 1;
      for (const id of this.cores.keys()) {
        this.core(id).tick();
        this.drain(id);
      }
      this.deliverAll();
    }
  }

  /** Ticks until the predicate holds (at most `ticks`); returns whether it did. */
  tickUntil(predicate: () => boolean, ticks = 100): boolean {
    for (let i = 0; i < ticks; i++) {
      if (predicate()) return true;
      this.tick();
    }
    return predicate();
  }

  leader(): number | undefined {
    for (const [id, core] of this.cores) {
      const status = core.status();
      if (status.role === 'leading' && status.established) return id;
    }
    return undefined;
  }

  allEstablished(): boolean {
    return [...this.cores.values()].every((core) => core.status().established);
  }

  propose(id: number, text: string): number {
    const result = this.core(id).propose(new TextEncoder().encode(text));
    this.drain(id);
    if (!result.ok) throw new Error(`propose failed: ${result.reason}`);
    return result.zxid;
  }

  appliedText(id: number): string[] {
    return this.applied.get(id)!.map((entry) => new TextDecoder().decode(entry.data));
  }

  /** Packets of a type sent by a server, in order. */
  sentPackets(from: number, type: number): Sent[] {
    return this.readies.get(from)!.flatMap((ready) => ready.messages)
      .filter((message) => message.message.kind === 'packet' && message.message.packet.type === type)
      .map((message) => ({ from, ...message }));
  }
}

export function entry(epoch: number, counter: number, text: string): LogEntry {
  return { zxid: epoch * 2 ** 32 + counter, data: new TextEncoder().encode(text) };
}

const packetNames = new Map<number, string>(Object.entries(QuorumPacketType).map(([name, code]) => [code, name.toUpperCase()]));
const stateNames = ['LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING'];

function hex(zxid: number): string {
  return zxid < 0 ? String(zxid) : `0x${zxid.toString(16)}`;
}

function describeVote(vote: Notification): string {
  return `vote ${stateNames[vote.state]} leader=${vote.leader} zxid=${hex(vote.zxid)} round=${vote.electionEpoch} peerEpoch=${vote.peerEpoch}`;
}

function describeRecord(record: PersistRecord): string {
  switch (record.kind) {
    case 'txn': return `txn ${hex(record.entry.zxid)}`;
    case 'truncate': return `truncate after ${hex(record.zxid)}`;
    case 'snapshot': return `snapshot at ${hex(record.zxid)}`;
    case 'acceptedEpoch': return `acceptedEpoch=${record.epoch}`;
    case 'currentEpoch': return `currentEpoch=${record.epoch}`;
  }
}
