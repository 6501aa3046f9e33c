// A real Apache ZooKeeper 3.8 ensemble (Debian's `zookeeper` package) on 127.0.0.1 as the oracle
// for what an ensemble member reports: `size` QuorumPeerMain processes, each with its zoo.cfg, myid,
// data directory and AdminServer (Jetty; Debian's needs the servlet API on the boot class path).
//
// Invariants: start is bounded (it waits until every member reports leader or follower), every java
// process is killed by stop() and, failing that, when the test process exits; the temp directory is
// removed by stop(). Each member's output goes to a log file, so no pipe can fill and stall the JVM.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendFourLetterWord } from './four-letter.js';
import { getFreePort, loopbackHost } from './ports.js';
import { referenceJars } from './reference-zookeeper.js';

const servletApiJar = '/usr/share/java/servlet-api.jar';

export interface ReferenceMember {
  readonly id: number;
  readonly clientPort: number;
  readonly adminPort: number;
  readonly quorumPort: number;
  readonly electionPort: number;
  readonly dataDir: string;
  alive(): boolean;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  logTail(lines?: number): string;
}

export interface ReferenceEnsemble {
  readonly members: readonly ReferenceMember[];
  /** The member whose srvr says `Mode: leader`. */
  leader(): Promise<ReferenceMember>;
  stop(): Promise<void>;
}

async function modeOf(port: number): Promise<string> {
  const srvr = await sendFourLetterWord({ host: loopbackHost, port }, 'srvr', { timeoutMs: 2000 }).catch(() => '');
  return /^Mode: (\w+)$/m.exec(srvr)?.[1] ?? '';
}

export async function startReferenceEnsemble(options: { size: number; tickTimeMs?: number; startTimeoutMs?: number }): Promise<ReferenceEnsemble> {
  const root = mkdtempSync(join(tmpdir(), 'meerkat-reference-ensemble-'));
  const ports = [];
  for (let i = 0; i < options.size; i++) {
    ports.push({ client: await getFreePort(), admin: await getFreePort(), quorum: await getFreePort(), election: await getFreePort() });
  }
  const serverLines = ports.map((port, index) => `server.${index + 1}=${loopbackHost}:${port.quorum}:${port.election}`);
  const children: ChildProcess[] = [];
  const killAll = (): void => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const members: ReferenceMember[] = ports.map((port, index) => {
    const id = index + 1;
    const dir = join(root, `zk${id}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${id}\n`);
    const cfg = join(dir, 'zoo.cfg');
    writeFileSync(cfg, [
      `tickTime=${options.tickTimeMs ?? 2000}`, 'initLimit=10', 'syncLimit=5', `dataDir=${dataDir}`, `clientPort=${port.client}`,
      `clientPortAddress=${loopbackHost}`, '4lw.commands.whitelist=*', 'admin.enableServer=true', `admin.serverAddress=${loopbackHost}`,
      `admin.serverPort=${port.admin}`, ...serverLines, '',
    ].join('\n'));
    const logPath = join(dir, 'zookeeper.log');
    const logFd = openSync(logPath, 'a');
    const classPath = [referenceJars.server, ...(existsSync(referenceJars.logBinding) ? [referenceJars.logBinding] : [])].join(':');
    let child: ChildProcess;
    try {
      child = spawn('java', ['-Xmx256m', `-Xbootclasspath/a:${servletApiJar}`, '-cp', classPath, 'org.apache.zookeeper.server.quorum.QuorumPeerMain', cfg], {
        cwd: dir, stdio: ['ignore', logFd, logFd],
      });
    } finally {
      closeSync(logFd);
    }
    children.push(child);
    const alive = (): boolean => child.exitCode === null && child.signalCode === null;
    return {
      id, clientPort: port.client, adminPort: port.admin, quorumPort: port.quorum, electionPort: port.election, dataDir, alive,
      async kill() {
        if (!alive()) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
      logTail: (lines = 30) => {
        try {
          return readFileSync(logPath, 'utf8').split('\n').slice(-lines - 1).join('\n');
        } catch {
          return '(no log)';
        }
      },
    };
  });
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killAll);
    await Promise.all(members.map((member) => member.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    const modes = await Promise.all(members.map((member) => modeOf(member.clientPort)));
    if (modes.every((mode) => mode === 'leader' || mode === 'follower')) break;
    if (Date.now() > deadline || members.some((member) => !member.alive())) {
      const tails = members.map((member) => `zk${member.id}: ${member.logTail(10)}`).join('\n');
      await stop();
      throw new Error(`the reference ensemble did not form (modes ${modes.join(',')}):\n${tails}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    members,
    async leader() {
      for (const member of members) if (member.alive() && (await modeOf(member.clientPort)) === 'leader') return member;
      throw new Error('no ZooKeeper member leads');
    },
    stop,
  };
}
