// LeaderLatch and LeaderElection: leader election over ephemeral-sequential candidate nodes, as in
// ZooKeeper's recipe and Curator's LeaderLatch / LeaderSelector.
//
// Each participant creates `<latchPath>/_c_<guid>-latch-<sequence>` (ephemeral-sequential) holding
// its participant id. The candidate with the lowest sequence number leads; every other candidate
// watches only its predecessor, so a departure wakes one participant, not all of them. The per-latch
// GUID in the name lets a participant whose create failed with ConnectionLoss find the node it may
// have created, instead of leaving an orphan ahead of itself in the queue.
//
// Ordering under connection loss, the guarantee users rely on: a leader steps down the moment its
// client reports 'disconnected' (synchronously, inside the state event), and claims leadership only
// while 'connected'. Another participant can be elected only once the leader's node is gone, that is
// after the server expires the leader's session, a full session timeout after it last heard from
// it. The client reports 'disconnected' when its socket closes, or when it has heard nothing for 2/3
// of the session timeout, so the old leader learns first. Assumptions: the leader's process is not
// paused (GC, SIGSTOP) for longer than about 1/3 of the session timeout between hearing the server
// and acting on leadership, and the client's and server's clocks run at similar rates. Within the
// session, a latch that reconnects re-checks its position and may lead again.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ConnectionLossError,
  NoNodeError,
  OperationTimeoutError,
  SessionExpiredError,
  ClientClosedError,
  type SessionState,
  type ZooKeeperClient,
} from '../client/index.js';
import type { WaitOptions } from './barrier.js';
import { ensurePath } from './paths.js';

/** Between candidate-name prefix and sequence suffix, as Curator names latch nodes. */
const latchNodeTag = '-latch-';
const sequenceDigits = 10;
/** Pause before retrying a pass that timed out while the connection stayed up. */
const transientRetryDelayMs = 100;
/** Passes in a row that may find the latch node missing (and re-create it) before the latch fails. */
const latchNodeMissingMax = 5;
/** Attempts close() makes to delete the candidate node before leaving it to session expiry. */
const closeDeleteAttemptsMax = 3;

/** The latch (or election) was closed, or failed for good (its cause says why), before an answer. */
export class LatchClosedError extends Error {
  override name = 'LatchClosedError';
  readonly code = 'LATCH_CLOSED';
}

/** The reason a LeaderElection's lead signal aborts when leadership is lost. */
export class LeadershipLostError extends Error {
  override name = 'LeadershipLostError';
  readonly code = 'LEADERSHIP_LOST';
}

export interface Participant {
  /** The id the participant gave (LeaderLatchOptions.id). */
  id: string;
  /** Its candidate node. */
  path: string;
  /** It holds the lowest candidate node (it leads, unless it is disconnected and has stepped down). */
  isLeader: boolean;
}

export interface LeaderLatchOptions {
  /** Stored in the candidate node, reported by getParticipants / getLeader. Default a random UUID. */
  id?: string;
}

type LatchState = 'latent' | 'started' | 'closed';

/** 'closed' follows close() or a permanent failure (then 'error' carries the cause, if listened to). */
export class LeaderLatch extends EventEmitter<{ isLeader: []; notLeader: []; closed: []; error: [Error] }> {
  readonly id: string;
  private readonly prefix = `_c_${randomUUID()}${latchNodeTag}`;
  private state: LatchState = 'latent';
  private leader = false;
  private ourPath: string | undefined;
  private failure: Error | undefined;
  private passPending = false;
  /** Passes in a row that found the latch node missing. */
  private latchNodeMissing = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly client: ZooKeeperClient, readonly latchPath: string, options: LeaderLatchOptions = {}) {
    super();
    this.id = options.id ?? randomUUID();
  }

  /** True while this participant leads; false whenever it is not connected. */
  get hasLeadership(): boolean {
    return this.leader;
  }

  /** The candidate node, once created. */
  get candidatePath(): string | undefined {
    return this.ourPath;
  }

  /**
   * Joins the election; resolves once the first pass ran (normally: latch node and candidate node
   * created, position checked; after a ConnectionLoss the latch carries on once reconnected). Rejects
   * only on a permanent failure (expired session, no permission).
   */
  async start(): Promise<void> {
    if (this.state !== 'latent') throw new Error('a LeaderLatch starts once');
    this.state = 'started';
    this.client.on('state', this.onState);
    this.schedulePass();
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Resolves true once this participant leads, false when `timeoutMs` passes first. Rejects with the
   * signal's reason on abort, and with LatchClosedError if the latch is (or gets) closed or failed.
   */
  await(options: WaitOptions = {}): Promise<boolean> {
    if (this.leader) return Promise.resolve(true);
    if (this.state === 'closed') return Promise.reject(this.closedError());
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => finish(() => resolve(false)), options.timeoutMs);
      const onLeader = (): void => finish(() => resolve(true));
      const onClosed = (): void => finish(() => reject(this.closedError()));
      const onAbort = (): void => finish(() => reject(signal?.reason));
      const finish = (complete: () => void): void => {
        clearTimeout(timer);
        this.off('isLeader', onLeader);
        this.off('closed', onClosed);
        signal?.removeEventListener('abort', onAbort);
        complete();
      };
      this.on('isLeader', onLeader);
      this.on('closed', onClosed);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Gives leadership up ('notLeader' first), then removes the candidate node. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasStarted = this.state === 'started';
    this.state = 'closed';
    this.client.off('state', this.onState);
    this.setLeadership(false);
    this.emit('closed');
    if (!wasStarted) return;
    await this.loop;
    await this.deleteOurNodes();
  }

  /** Every candidate in queue order, with its id; the first one is the leader. */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.client, this.latchPath);
  }

  /** The participant holding the lowest candidate node, or null when there is none. */
  async getLeader(): Promise<Participant | null> {
    return (await this.getParticipants())[0] ?? null;
  }

  // ---- machinery ------------------------------------------------------------------------------

  private readonly onState = (state: SessionState): void => {
    if (state === 'disconnected' || state === 'connectedReadOnly') this.setLeadership(false);
    else if (state === 'connected') this.schedulePass();
    else if (state === 'expired' || state === 'authFailed' || state === 'closed') {
      this.fail(state === 'expired' ? new SessionExpiredError() : new ClientClosedError());
    }
  };

  private readonly onPredecessorEvent = (): void => this.schedulePass();

  /** Passes run one at a time; a request made during a pass runs one more pass after it. */
  private schedulePass(): void {
    this.passPending = true;
    if (this.loop === undefined && this.state === 'started') this.loop = this.runPasses();
  }

  private async runPasses(): Promise<void> {
    try {
      while (this.passPending && this.state === 'started') {
        this.passPending = false;
        try {
          await this.pass();
        } catch (error) {
          this.passFailed(error as Error);
        }
      }
    } finally {
      this.loop = undefined;
    }
  }

  /** Transient errors wait for the next 'connected' (or a short pause if still connected). */
  private passFailed(error: Error): void {
    if (error instanceof ConnectionLossError || error instanceof OperationTimeoutError) {
      if (this.client.state === 'connected') setTimeout(() => this.schedulePass(), transientRetryDelayMs).unref();
      return;
    }
    this.fail(error);
  }

  private async pass(): Promise<void> {
    const children = await this.readCandidates();
    if (children === undefined) {
      this.passPending = true;
      return;
    }
    const candidates = sortCandidates(children);
    const ours = candidates.filter((name) => name.startsWith(this.prefix));
    if (ours.length === 0) {
      this.ourPath = undefined;
      this.setLeadership(false);
      // Not retried by the client: on ConnectionLoss the next pass finds the node if it was created.
      await this.client.create(`${this.latchPath}/${this.prefix}`, this.id, { mode: 'ephemeralSequential' });
      this.passPending = true;
      return;
    }
    // Only a create whose reply was lost can leave a second node of ours; keep the first.
    for (const extra of ours.slice(1)) await this.deleteIfPresent(`${this.latchPath}/${extra}`);
    this.ourPath = `${this.latchPath}/${ours[0]!}`;
    const index = candidates.indexOf(ours[0]!);
    if (index === 0) {
      this.setLeadership(true);
      return;
    }
    this.setLeadership(false);
    try {
      await this.client.getData(`${this.latchPath}/${candidates[index - 1]!}`, { watch: this.onPredecessorEvent });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      this.passPending = true;
    }
  }

  /**
   * The latch's children; undefined after creating the latch node when missing (first use, deleted
   * by someone, or not yet visible to this session: see ensurePath), which the next pass reads again.
   */
  private async readCandidates(): Promise<string[] | undefined> {
    try {
      const { children } = await this.client.getChildren(this.latchPath);
      this.latchNodeMissing = 0;
      return children;
    } catch (error) {
      if (!(error instanceof NoNodeError) || ++this.latchNodeMissing > latchNodeMissingMax) throw error;
      await ensurePath(this.client, this.latchPath);
      if (this.latchNodeMissing > 1) await pause(transientRetryDelayMs);
      return undefined;
    }
  }

  /** Leadership is claimed only while started and connected to a read-write server. */
  private setLeadership(leader: boolean): void {
    if (leader && (this.state !== 'started' || this.client.state !== 'connected')) return;
    if (leader === this.leader) return;
    this.leader = leader;
    this.emit(leader ? 'isLeader' : 'notLeader');
  }

  private fail(error: Error): void {
    if (this.state === 'closed') return;
    this.failure = error;
    this.state = 'closed';
    this.client.off('state', this.onState);
    this.setLeadership(false);
    this.emit('closed');
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private closedError(): LatchClosedError {
    return new LatchClosedError('the leader latch is closed', this.failure === undefined ? undefined : { cause: this.failure });
  }

  private async deleteOurNodes(): Promise<void> {
    if (isFinal(this.client.state)) return;
    for (let attempt = 1; ; attempt++) {
      try {
        const { children } = await this.client.getChildren(this.latchPath);
        for (const name of children.filter((child) => child.startsWith(this.prefix))) {
          await this.deleteIfPresent(`${this.latchPath}/${name}`);
        }
        this.ourPath = undefined;
        return;
      } catch (error) {
        // A session that ended took the ephemeral node with it; past the attempts, its expiry will.
        if (isFinal(this.client.state)) return;
        if (!(error instanceof ConnectionLossError) || attempt >= closeDeleteAttemptsMax) throw error;
      }
    }
  }

  private async deleteIfPresent(path: string): Promise<void> {
    try {
      await this.client.delete(path);
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
}

/** The candidates under `latchPath` in queue order, with their ids; missing latch node: none. */
async function readParticipants(client: ZooKeeperClient, latchPath: string): Promise<Participant[]> {
  let children: string[];
  try {
    children = (await client.getChildren(latchPath)).children;
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
  const participants: Participant[] = [];
  for (const name of sortCandidates(children)) {
    const path = `${latchPath}/${name}`;
    try {
      const { data } = await client.getData(path);
      participants.push({ id: data === null ? '' : Buffer.from(data).toString('utf8'), path, isLeader: participants.length === 0 });
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
    }
  }
  return participants;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isFinal(state: SessionState): boolean {
  return state === 'expired' || state === 'authFailed' || state === 'closed';
}

/** Latch candidates (names ending in `-latch-<10 digits>`) in sequence order; other children ignored. */
function sortCandidates(children: readonly string[]): string[] {
  const pattern = new RegExp(`${latchNodeTag}\\d{${sequenceDigits}}$`);
  return children
    .filter((name) => pattern.test(name))
    .sort((a, b) => a.slice(-sequenceDigits).localeCompare(b.slice(-sequenceDigits)));
}

export interface LeaderElectionOptions extends LeaderLatchOptions {
  /**
   * Runs while this participant leads; leadership ends when it returns (or throws). `signal` aborts
   * with LeadershipLostError the moment leadership is lost (disconnect, expiry) or the election closes:
   * lead must then stop acting as leader and return promptly.
   */
  lead: (signal: AbortSignal) => Promise<void>;
}

/**
 * Curator's LeaderSelector with auto-requeue: each round joins the election with a fresh latch,
 * runs `lead` while leading, then gives leadership up and joins again at the back, until closed.
 * A round never starts before the previous `lead` has returned, so one participant never runs two.
 * A round that fails for good (session expiry, no permission) stops the election with 'error' (the
 * LatchClosedError, its cause the reason): make a new client and election.
 */
export class LeaderElection extends EventEmitter<{ error: [Error] }> {
  readonly id: string;
  private readonly lead: (signal: AbortSignal) => Promise<void>;
  private readonly closing = new AbortController();
  private leadership: AbortController | undefined;
  private rounds: Promise<void> | undefined;

  constructor(private readonly client: ZooKeeperClient, readonly electionPath: string, options: LeaderElectionOptions) {
    super();
    this.id = options.id ?? randomUUID();
    this.lead = options.lead;
  }

  /** True while `lead` runs with an unaborted signal. */
  get isLeading(): boolean {
    return this.leadership !== undefined && !this.leadership.signal.aborted;
  }

  /** Every participant in queue order, with its id; the first one leads (or is about to). */
  getParticipants(): Promise<Participant[]> {
    return readParticipants(this.client, this.electionPath);
  }

  /** Starts the rounds; resolves once the first round joined (rejects on a permanent failure). */
  start(): Promise<void> {
    if (this.rounds !== undefined) throw new Error('a LeaderElection starts once');
    return new Promise<void>((resolve, reject) => {
      this.rounds = this.runRounds({ resolve, reject });
    });
  }

  /** Aborts a running `lead`, waits for it to return, and leaves the election. Idempotent. */
  async close(): Promise<void> {
    this.closing.abort(new LatchClosedError('the leader election is closed'));
    this.leadership?.abort(new LeadershipLostError('the leader election is closed'));
    await this.rounds;
  }

  private async runRounds(started: { resolve: () => void; reject: (error: Error) => void }): Promise<void> {
    let first = true;
    while (!this.closing.signal.aborted) {
      const latch = new LeaderLatch(this.client, this.electionPath, { id: this.id });
      try {
        await latch.start();
        if (first) started.resolve();
        first = false;
        await latch.await({ signal: this.closing.signal });
        await this.leadOnce(latch);
      } catch (error) {
        // The latch retries transient failures itself: what reaches here (expiry, no permission)
        // would fail every round the same way, so the election stops.
        if (first) started.reject(error as Error);
        else if (!this.closing.signal.aborted && this.listenerCount('error') > 0) this.emit('error', error as Error);
        break;
      } finally {
        await latch.close().catch(() => undefined);
      }
    }
    if (first) started.reject(new LatchClosedError('the leader election was closed before it joined'));
  }

  private async leadOnce(latch: LeaderLatch): Promise<void> {
    // Lost again between 'isLeader' and now: this round ends without leading.
    if (!latch.hasLeadership) return;
    const leadership = new AbortController();
    const onLost = (): void => leadership.abort(new LeadershipLostError('leadership lost'));
    latch.once('notLeader', onLost);
    this.leadership = leadership;
    try {
      await this.lead(leadership.signal);
    } catch (error) {
      // An abort that lead passed through is the expected way to end; anything else is reported.
      if (!(leadership.signal.aborted && error === leadership.signal.reason) && this.listenerCount('error') > 0) {
        this.emit('error', error as Error);
      }
    } finally {
      latch.off('notLeader', onLost);
      this.leadership = undefined;
    }
  }
}
