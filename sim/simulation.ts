// One seeded run of a whole ensemble in one process: N voters (real ZabCore and DataTree each),
// simulated disks, network and clock, and clients with sessions (clients.ts) whose requests go
// through the real server core of each server (src/server/replica.ts: ZabCore, ServerCore with the
// leader's prep and session tracking, the Ready driver, real snapshots), over client links that carry
// encoded frames (client-link.ts). A safety phase injects faults
// (crashes and restarts, partitions one-way and two-way, leader isolation, broken connections, slow
// disks); a liveness phase heals everything and requires a leader that commits a new write and every
// replica applying it within a bounded simulated time. Checkers run on every step (checkers.ts).
// Everything random comes from one Prng seeded by `seed`, so a seed replays exactly.

import type { InitialCapacity } from '../src/tree/index.js';
import { AssertionError } from '../src/util/index.js';
import type { InjectedBugs, LogWindowBounds, ZabConfig } from '../src/zab/index.js';
import { Checkers, SimViolation } from './checkers.js';
import { EventQueue } from './event-queue.js';
import { SimNetwork, type NetworkEndpoints } from './network.js';
import { SimClient } from './clients.js';
import { checkLinearizability } from './linearizability.js';
import { SimNode, type NodeEnvironment } from './node.js';
import { Prng } from './prng.js';
import { type ServerBugs, type ServerConfig, defaultConfig } from '../src/server/index.js';
import type { SimReply, SimServerView } from './clients.js';
import type { LogEntry } from '../src/zab/index.js';
import { checkNoOrphanedEphemerals, checkSessionOrder } from './session-checks.js';
import { type ZkOperation, zkModel } from './zk-model.js';

/** Test-only bugs: the core's, plus the server layer's. */
export interface SimBugs extends InjectedBugs, ServerBugs {}

export interface SimOptions {
  seed: number;
  /** Voters. */
  nodes: number;
  /** Non-voting members, numbered after the voters (default 0). */
  observers?: number;
  /** Simulated milliseconds of faults (default 6000). */
  safetyMs?: number;
  /** Simulated milliseconds allowed, after healing, to elect a leader and commit (default 30000). */
  livenessMs?: number;
  /** Test-only protocol bugs, to prove the checkers bite. */
  injectedBugs?: SimBugs;
  /** Test-only: counter of each epoch's first zxid (near 2^32 exercises the rollover). */
  firstCounter?: number;
  /** Test-only: skip the per-message durability checks, leaving only the end-to-end checkers. */
  skipDurabilityChecks?: boolean;
  /** How small every replica's tree starts (tiny: the run crosses the tree's growth boundaries). */
  treeCapacity?: InitialCapacity;
  /** How much applied history each core's log window keeps (default: limits.ts; tiny: the bounds, not only snapshots, cut it). */
  logWindow?: LogWindowBounds;
}

/** A scripted run (named scenarios): no random clients or faults; the script drives it. */
export interface ScriptedOptions {
  seed: number;
  nodes: number;
}

export interface SimFailure {
  kind: 'violation' | 'assertion' | 'liveness' | 'error';
  message: string;
  atMs: number;
  trace: string[];
}

export interface SimResult {
  seed: number;
  nodes: number;
  observers: number;
  failure: SimFailure | null;
  stats: {
    simulatedMs: number;
    /** Simulated milliseconds from healing until a new write was on every replica (-1: never). */
    recoveryMs: number;
    events: number;
    committed: number;
    acknowledged: number;
    leaders: number;
    messages: number;
    clientOperations: number;
    /** Writes on the checked keys, and the verdict of the linearizability checker on them. */
    checkedWrites: number;
    linearizability: 'ok' | 'violation' | 'unknown' | 'not run';
    /** The most znodes any replica's tree held. */
    treeNodesMax: number;
  };
}

const tickMs = 50;
/** Search budget of the linearizability check per run (deterministic, unlike a deadline). */
const linearizabilityStepsMax = 200_000;
const traceLinesMax = 40;

export function runSimulation(options: SimOptions): SimResult {
  const simulation = new Simulation(options);
  const failure = simulation.run();
  return { seed: options.seed, nodes: options.nodes, observers: options.observers ?? 0, failure, stats: simulation.stats() };
}

export class Simulation {
  private readonly random: Prng;
  readonly queue = new EventQueue();
  private readonly checkers = new Checkers();
  readonly network: SimNetwork;
  private readonly nodes: SimNode[];
  private readonly ids: number[];
  private readonly voters: number[];
  readonly trace: string[] = [];
  private readonly traceMax: number;
  private readonly servers: SimServerView[];
  private readonly clients: SimClient[];
  /** Writes and synced reads on the checked keys, for the linearizability checker. */
  readonly history: ZkOperation[] = [];
  private linearizability: SimResult['stats']['linearizability'] = 'not run';
  private readonly safetyMs: number;
  private readonly livenessMs: number;
  private healed = false;
  /** A write acknowledged after healing: liveness holds once every replica applied it. */
  private livenessZxid: number | null = null;
  private done = false;

  /** A scripted simulation: call startNodes(), then drive it with runUntil() and the fault methods. */
  static scripted(options: ScriptedOptions): Simulation {
    return new Simulation({ ...options, safetyMs: 0 }, { scripted: true });
  }

  constructor(
    private readonly options: SimOptions,
    mode: { scripted: boolean } = { scripted: false },
  ) {
    this.random = new Prng(options.seed);
    this.traceMax = mode.scripted ? Number.POSITIVE_INFINITY : traceLinesMax;
    this.safetyMs = options.safetyMs ?? 6000;
    this.livenessMs = options.livenessMs ?? 30_000;
    this.voters = Array.from({ length: options.nodes }, (_, index) => index + 1);
    this.ids = Array.from({ length: options.nodes + (options.observers ?? 0) }, (_, index) => index + 1);
    const endpoints: NetworkEndpoints = {
      incarnation: (id) => this.node(id).incarnation,
      deliver: (to, { from, message }) => {
        if (!options.skipDurabilityChecks) this.checkers.messageDelivered({ server: to, message, disk: this.node(to).disk });
        this.node(to).input((core) => core.step(from, message));
      },
      disconnected: (to, { peer, learn }) => this.node(to).input((core) => {
        if (learn()) core.disconnected(peer);
      }),
      sent: (from, { message }) => {
        if (!options.skipDurabilityChecks) this.checkers.messageSent({ server: from, message, disk: this.node(from).disk });
      },
    };
    this.network = new SimNetwork({ queue: this.queue, random: this.random, endpoints, ids: this.ids });
    const snapshotEvery = this.random.int(5, 60);
    const environment: NodeEnvironment = {
      queue: this.queue,
      random: this.random,
      checkers: this.checkers,
      send: (from, outbound) => this.network.send(from, outbound),
      close: (from, to) => this.network.close(from, to),
      onRoleChange: (id, change) => {
        this.log(`${id} ${change.role}${change.established ? ' established' : ''} leader=${change.leader} epoch=${change.epoch} (${change.reason})`);
      },
      snapshotHistories: new Map<string, LogEntry[]>(),
    };
    this.nodes = this.ids.map((id) => new SimNode(this.config(id), {
      environment, snapshotEvery, server: this.serverConfig(id), ...(options.treeCapacity === undefined ? {} : { treeCapacity: options.treeCapacity }),
    }));
    this.servers = this.nodes.map((node) => ({
      node,
      get accepting(): boolean {
        return node.replica?.serving ?? false;
      },
      get appliedZxid(): number {
        return node.appliedZxid();
      },
    }));
    const clientEnvironment = {
      queue: this.queue, random: this.random, checkers: this.checkers, servers: this.servers, history: this.history,
      onWriteReply: (reply: SimReply, sentAtMs: number) => this.onWriteReply(reply, sentAtMs),
      log: (line: string) => this.log(line),
    };
    const clientCount = mode.scripted ? 0 : this.random.int(3, 6);
    this.clients = Array.from({ length: clientCount }, (_, index) => new SimClient(index + 1, clientEnvironment));
  }

  /** The server core's configuration: the simulator's tick, and session timeouts its clients ask for. */
  private serverConfig(id: number): ServerConfig {
    const bugs = this.options.injectedBugs;
    return {
      ...defaultConfig(), serverId: id, tickTimeMs: tickMs, minSessionTimeoutMs: 2 * tickMs, maxSessionTimeoutMs: 10_000,
      ...(bugs === undefined ? {} : { injectedBugs: bugs }),
    };
  }

  private config(id: number): ZabConfig {
    return {
      id, voters: this.voters, observers: this.ids.filter((other) => other > this.options.nodes), initLimitTicks: 20, syncLimitTicks: 10, pingIntervalTicks: 2, finalizeWaitTicks: 2,
      electionResendTicks: 4, connectRetryTicks: 4,
      ...(this.options.firstCounter === undefined ? {} : { firstCounter: this.options.firstCounter }),
      ...(this.options.injectedBugs === undefined ? {} : { injectedBugs: this.options.injectedBugs }),
      ...(this.options.logWindow === undefined ? {} : { logWindow: this.options.logWindow }),
    };
  }

  node(id: number): SimNode {
    return this.nodes[id - 1]!;
  }

  log(line: string): void {
    this.trace.push(`${this.queue.now}ms ${line}`);
    if (this.trace.length > this.traceMax) this.trace.shift();
  }

  /** Scripted runs: runs events until `done()` holds (true) or `limitMs` of simulated time pass (false). */
  runUntil(done: () => boolean, limitMs: number): boolean {
    const end = this.queue.now + limitMs;
    while (!done()) if (!this.queue.runNext(end)) return false;
    return true;
  }

  run(): SimFailure | null {
    try {
      this.schedule();
      const end = this.safetyMs + this.livenessMs;
      while (!this.done && this.queue.runNext(end));
      if (!this.done) return this.failure('liveness', `no leader committed and replicated a write within ${this.livenessMs}ms after healing; ${this.describe()}`);
      return null;
    } catch (error) {
      if (error instanceof SimViolation) return this.failure('violation', error.message);
      if (error instanceof AssertionError) return this.failure('assertion', error.message);
      return this.failure('error', error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
  }

  private failure(kind: SimFailure['kind'], message: string): SimFailure {
    return { kind, message, atMs: this.queue.now, trace: this.trace.slice() };
  }

  describe(): string {
    return this.nodes.map((node) => {
      const status = node.core?.status();
      if (status === undefined) return `${node.id}:down`;
      return `${node.id}:${status.role}${status.established ? '*' : ''}(e${status.epoch} last=0x${status.lastZxid.toString(16)} applied=0x${status.appliedZxid.toString(16)})`;
    }).join(' ');
  }

  private schedule(): void {
    this.startNodes();
    for (const client of this.clients) this.every(this.random.int(5, 40), this.random.int(0, 40), () => client.step());
    this.every(this.random.int(100, 1000), this.random.int(0, 500), () => this.fault());
    this.queue.at(this.safetyMs, () => this.heal());
    this.every(100, this.safetyMs, () => this.checkLiveness());
  }

  /** Starts every server and its clock. */
  startNodes(): void {
    for (const node of this.nodes) {
      node.start();
      // Clocks drift: each server ticks at its own rate, within 10% of tickMs.
      const period = this.random.int(tickMs * 0.9, tickMs * 1.1);
      this.every(period, this.random.int(0, tickMs - 1), () => node.input((replica) => replica.tick()));
    }
  }

  private every(periodMs: number, firstAtMs: number, run: () => void): void {
    const loop = (): void => {
      run();
      if (!this.done) this.queue.after(periodMs, loop);
    };
    this.queue.at(firstAtMs, loop);
  }

  /** The established leader of the highest epoch (a paused deposed leader may still think it leads). */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestEpoch = -1;
    for (const node of this.nodes) {
      const status = node.core?.status();
      if (status === undefined || status.role !== 'leading' || !status.established || status.epoch <= bestEpoch) continue;
      best = node;
      bestEpoch = status.epoch;
    }
    return best;
  }

  crash(node: SimNode): void {
    node.crash();
    this.network.crashed(node.id);
  }

  /** A write was answered: the first one sent after healing is the liveness witness. */
  private onWriteReply(reply: SimReply, sentAtMs: number): void {
    if (sentAtMs >= this.safetyMs && this.livenessZxid === null) this.livenessZxid = reply.zxid;
  }

  private fault(): void {
    if (this.healed) return;
    const up = this.nodes.filter((node) => node.up);
    const down = this.nodes.filter((node) => !node.up);
    const roll = this.random.int(0, 99);
    if (roll < 15 && up.length > 0) {
      const victim = this.random.pick(up);
      this.log(`crash ${victim.id}`);
      this.crash(victim);
    } else if (roll < 18) {
      // A power failure: a majority, leader included, loses its unsynced writes at the same instant.
      const leader = this.leader();
      const victims = this.nodes.filter((node) => node.up && (node === leader || this.random.chance(0.6)));
      this.log(`power failure of ${victims.map((node) => node.id).join(',')}`);
      for (const victim of victims) this.crash(victim);
    } else if (roll < 24) {
      const leader = this.leader();
      if (leader === undefined) return;
      this.log(`crash leader ${leader.id}`);
      this.crash(leader);
    } else if (roll < 45 && down.length > 0) {
      const revived = this.random.pick(down);
      this.log(`restart ${revived.id}`);
      this.network.restarted(revived.id);
      revived.start();
    } else if (roll < 55) {
      const side = this.ids.filter(() => this.random.chance(0.5));
      if (side.length === 0 || side.length === this.ids.length) return;
      const oneWay = this.random.chance(0.3);
      this.log(`partition ${side.join(',')} ${oneWay ? 'one-way' : 'both ways'}`);
      this.network.partition(side, oneWay);
    } else if (roll < 62) {
      const leader = this.leader();
      if (leader === undefined) return;
      this.log(`isolate leader ${leader.id}`);
      this.network.partition([leader.id], false);
    } else if (roll < 75) {
      this.log('heal partitions');
      this.network.healAll();
    } else if (roll < 82) {
      const victim = (this.random.chance(0.5) ? this.leader() : undefined) ?? this.random.pick(this.nodes);
      const pauseMs = this.random.int(100, 3000);
      this.log(`pause ${victim.id} for ${pauseMs}ms`);
      victim.pause(this.queue.now + pauseMs);
    } else if (roll < 90) {
      const a = this.random.pick(this.ids);
      const b = this.random.pick(this.ids.filter((id) => id !== a));
      const kind = this.random.pick([undefined, 'election', 'quorum'] as const);
      this.log(`break ${a}-${b}${kind === undefined ? '' : ` (${kind})`}`);
      this.network.breakConnection([a, b], kind === undefined ? {} : { kind });
    } else if (roll < 93) {
      if (this.clients.length === 0) return;
      const client = this.random.pick(this.clients);
      this.log(`reset ${client.label}'s connection`);
      client.resetConnection();
    } else if (roll < 96) {
      const node = this.random.pick(this.nodes);
      node.disk.slow = !node.disk.slow;
      this.log(`disk of ${node.id} ${node.disk.slow ? 'slow' : 'normal'}`);
    } else {
      const slow = this.random.chance(0.5);
      for (const node of this.nodes) node.disk.slow = slow;
      this.log(`every disk ${slow ? 'slow' : 'normal'}`);
    }
  }

  private heal(): void {
    this.healed = true;
    this.log('liveness phase: heal everything');
    this.network.healAll();
    for (const node of this.nodes) {
      node.disk.slow = false;
      if (!node.up) {
        this.network.restarted(node.id);
        node.start();
      }
    }
  }

  private checkLiveness(): void {
    if (this.livenessZxid === null) return;
    const target = this.livenessZxid;
    if (!this.nodes.every((node) => node.appliedZxid() >= target)) return;
    const leader = this.leader();
    const core = leader?.replica?.core;
    if (leader === undefined || core === undefined || core.replication.mode !== 'leader') return;
    this.checkers.finalCheck(leader.id);
    checkSessionOrder(leader);
    this.checkHistory();
    checkNoOrphanedEphemerals(leader);
    this.done = true;
  }

  /** The clients' writes and synced reads on the checked keys are linearizable (bounded search: 'unknown' is counted, not failed). */
  private checkHistory(): void {
    const outcome = checkLinearizability(zkModel, this.history, { maxSteps: linearizabilityStepsMax });
    this.linearizability = outcome.result;
    if (outcome.result === 'violation') throw new SimViolation(`client writes and synced reads are not linearizable:\n${outcome.violation.text}`);
  }

  stats(): SimResult['stats'] {
    return {
      simulatedMs: this.queue.now,
      recoveryMs: this.done ? this.queue.now - this.safetyMs : -1,
      events: this.queue.processed,
      committed: this.checkers.committed.size,
      acknowledged: this.checkers.acknowledged.size,
      leaders: this.checkers.leaderByEpoch.size,
      messages: this.network.stats.sent,
      clientOperations: this.clients.reduce((sum, client) => sum + client.operations, 0),
      checkedWrites: this.history.length,
      linearizability: this.linearizability,
      treeNodesMax: this.nodes.reduce((most, node) => Math.max(most, node.nodesMax), 0),
    };
  }
}
