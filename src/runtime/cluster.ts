// A local ensemble of real `meerkat start` processes on 127.0.0.1, for `meerkat cluster` and for
// Node tests (Curator's TestingCluster has no Node equivalent): each member gets a zoo.cfg with
// every server.N line, a myid and its own data directory; the cluster follows each member's role
// from its log lines ("role" events). Members can be killed (kill -9), restarted on the same data,
// paused (SIGSTOP: a member that stops answering) and resumed.
//
// Invariants: every start is bounded in time; every child is killed when the cluster stops and
// when this process exits; a member's kept log is bounded (`logCharsMax`, the newest characters).

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ClusterOptions {
  /** Voting members (3 or 5 for a useful ensemble; 1 works). */
  size: number;
  /** Non-voting members, numbered after the voters. */
  observers?: number;
  /** Client ports are basePort .. basePort + members - 1; quorum and election ports follow them. Default: free ports. */
  basePort?: number;
  /** Each member's data goes in DIR/member-N (default: a new temp directory, removed by stop()). */
  dataDir?: string;
  tickTimeMs?: number;
  /** More zoo.cfg keys for every member. */
  config?: Readonly<Record<string, string>>;
  /** More zoo.cfg keys for one member, over `config` (e.g. its own admin.serverPort). */
  memberConfig?: (id: number) => Readonly<Record<string, string>>;
  /** Members' log level; role changes are followed from their info lines, so not above 'info'. */
  logLevel?: 'trace' | 'debug' | 'info';
  /** Told of each member's role changes and exits. */
  onEvent?: (event: ClusterEvent) => void;
  /** Each member start is bounded by this (default 20 s). */
  startTimeoutMs?: number;
}

export type ClusterEvent =
  | { kind: 'role'; member: number; state: MemberState }
  | { kind: 'exit'; member: number; code: number | null; signal: string | null };

export type MemberState = 'leader' | 'follower' | 'observer' | 'looking' | 'down';

export interface ClusterMember {
  readonly id: number;
  readonly role: 'participant' | 'observer';
  readonly clientPort: number;
  readonly connectString: string;
  readonly dataDir: string;
  /** The state its log last reported ('down' when not running). */
  readonly state: MemberState;
  readonly pid: number | undefined;
  alive(): boolean;
  /** Its log since the last start (the newest characters). */
  log(): string;
  /** kill -9. */
  kill(): Promise<void>;
  /** Starts it again on the same data directory (kill -9 first if it runs). */
  restart(): Promise<void>;
  /** SIGSTOP: the process stops answering anyone. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

export interface Cluster {
  readonly members: readonly ClusterMember[];
  /** Every member's client address, for a client's connect string. */
  readonly connectString: string;
  /** The member whose log last said it leads an established epoch (undefined when none does). */
  leader(): ClusterMember | undefined;
  /** Waits until a leader is established and every running member is in an established role. */
  waitForQuorum(timeoutMs?: number): Promise<ClusterMember>;
  stop(): Promise<void>;
}

const logCharsMax = 1024 * 1024;
const bin = fileURLToPath(new URL('../../../bin/meerkat.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Ports {
  client: number;
  quorum: number;
  election: number;
}

async function allocatePorts(count: number, basePort: number | undefined): Promise<Ports[]> {
  const ports: Ports[] = [];
  for (let index = 0; index < count; index++) {
    if (basePort !== undefined) {
      ports.push({ client: basePort + index, quorum: basePort + 1000 + index, election: basePort + 2000 + index });
    } else {
      ports.push({ client: await freePort(), quorum: await freePort(), election: await freePort() });
    }
  }
  return ports;
}

const roleStates: Record<string, MemberState> = { leading: 'leader', following: 'follower', observing: 'observer' };

class Member implements ClusterMember {
  private child: ChildProcess | null = null;
  private output = '';
  private lineStart = 0;
  state: MemberState = 'down';
  private readonly killOnExit = (): void => void this.child?.kill('SIGKILL');

  constructor(
    readonly id: number,
    readonly role: 'participant' | 'observer',
    readonly clientPort: number,
    readonly dataDir: string,
    private readonly options: { configPath: string; logLevel: string; startTimeoutMs: number; onEvent: (event: ClusterEvent) => void },
  ) {}

  get connectString(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  log(): string {
    return this.output;
  }

  async start(): Promise<void> {
    this.output = '';
    this.lineStart = 0;
    const child = spawn(process.execPath, [bin, 'start', '--config', this.options.configPath, '--log-level', this.options.logLevel], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    process.once('exit', this.killOnExit);
    child.stdout!.on('data', (chunk: Buffer) => this.received(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => this.received(chunk.toString()));
    child.once('exit', (code, signal) => {
      process.off('exit', this.killOnExit);
      if (this.child !== child) return;
      this.setState('down');
      this.options.onEvent({ kind: 'exit', member: this.id, code, signal });
    });
    const deadline = Date.now() + this.options.startTimeoutMs;
    while (!this.output.includes('meerkat member serving')) {
      if (Date.now() > deadline || !this.alive()) throw new Error(`member ${this.id} did not come up:\n${this.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private received(text: string): void {
    this.output += text;
    let newline = this.output.indexOf('\n', this.lineStart);
    while (newline >= 0) {
      this.line(this.output.slice(this.lineStart, newline));
      this.lineStart = newline + 1;
      newline = this.output.indexOf('\n', this.lineStart);
    }
    if (this.output.length > logCharsMax) {
      const cut = this.output.length - logCharsMax / 2;
      this.output = this.output.slice(cut);
      this.lineStart = Math.max(0, this.lineStart - cut);
    }
  }

  private line(line: string): void {
    if (!line.includes('"msg":"role"')) return;
    try {
      const event = JSON.parse(line) as { role: string; established: boolean };
      this.setState(event.established ? (roleStates[event.role] ?? 'looking') : 'looking');
    } catch {
      // Not a JSON line: not a role event.
    }
  }

  private setState(state: MemberState): void {
    if (state === this.state) return;
    this.state = state;
    this.options.onEvent({ kind: 'role', member: this.id, state });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || !this.alive()) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  pause(): void {
    if (this.alive()) this.child!.kill('SIGSTOP');
  }

  resume(): void {
    if (this.alive()) this.child!.kill('SIGCONT');
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const observers = options.observers ?? 0;
  const count = options.size + observers;
  const ownDir = options.dataDir === undefined;
  const root = options.dataDir ?? mkdtempSync(join(tmpdir(), 'meerkat-cluster-'));
  const ports = await allocatePorts(count, options.basePort);
  const serverLines = ports.map((port, index) => {
    const id = index + 1;
    return `server.${id}=127.0.0.1:${port.quorum}:${port.election}${id > options.size ? ':observer' : ''}`;
  });
  const members: Member[] = [];
  for (let index = 0; index < count; index++) {
    const id = index + 1;
    const dir = join(root, `member-${id}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${id}\n`);
    const entries: Record<string, string> = {
      tickTime: String(options.tickTimeMs ?? 2000), initLimit: '10', syncLimit: '5', dataDir, clientPort: String(ports[index]!.client),
      clientPortAddress: '127.0.0.1', '4lw.commands.whitelist': '*', ...options.config, ...options.memberConfig?.(id),
    };
    const text = Object.entries(entries).map(([key, value]) => `${key}=${value}`).concat(serverLines).join('\n');
    const configPath = join(dir, 'zoo.cfg');
    writeFileSync(configPath, `${text}\n`);
    members.push(new Member(id, id > options.size ? 'observer' : 'participant', ports[index]!.client, dataDir, {
      configPath, logLevel: options.logLevel ?? 'info', startTimeoutMs: options.startTimeoutMs ?? 20_000, onEvent: options.onEvent ?? (() => undefined),
    }));
  }
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((member) => member.kill()));
    if (ownDir) rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(members.map((member) => member.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  const leader = (): ClusterMember | undefined => members.find((member) => member.alive() && member.state === 'leader');
  return {
    members,
    connectString: members.map((member) => member.connectString).join(','),
    leader,
    async waitForQuorum(timeoutMs = 30_000): Promise<ClusterMember> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = leader();
        if (found !== undefined && members.every((member) => !member.alive() || (member.state !== 'looking' && member.state !== 'down'))) return found;
        if (Date.now() > deadline) throw new Error(`no quorum within ${timeoutMs} ms: ${members.map((member) => `${member.id}:${member.state}`).join(' ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop,
  };
}
