// The never-reading client probe (issue 15) by hand, not a test: against a `meerkat start` process
// with its default bounds, and against Apache ZooKeeper 3.8 (the reference helper's JVM, -Xmx512m),
// one after the other. Prints each server's RSS before and at its peak, the bystander's connect
// time and getData round trips, and when (if) the server dropped the never-reading connection.
//   npm run build && node --import tsx scripts/probe-slow-reader.mts [--meerkat-only] [--zookeeper-only]
// The test with a short stall time is test/server/slow-reader.test.ts.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProbeResult, probeNeverReadingClient } from '../test/helpers/never-reading-client.js';
import { getFreePort } from '../test/helpers/ports.js';
import { startReferenceZooKeeper } from '../test/helpers/reference-zookeeper.js';

/** Long enough for Meerkat's default stall time (10 s) and ZooKeeper's session expiry (30 s asked). */
const closeWaitMs = 45_000;

function report(name: string, result: ProbeResult): void {
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
  const trips = result.bystanderRoundTripsMs;
  console.log(`${name}: RSS ${mb(result.baselineRssBytes)} -> peak ${mb(result.peakRssBytes)}` +
    ` (+${mb(result.peakRssBytes - result.baselineRssBytes)});` +
    ` bystander connect ${result.bystanderConnectMs.toFixed(1)} ms,` +
    ` getData median ${[...trips].sort((a, b) => a - b)[trips.length >> 1]!.toFixed(1)} ms, max ${Math.max(...trips).toFixed(1)} ms;` +
    ` stuck connection: ${result.stuckConnection.trim() || '(not listed)'};` +
    ` dropped after ${result.closedAfterMs === null ? `more than ${closeWaitMs} ms` : `${result.closedAfterMs.toFixed(0)} ms`}`);
}

async function probeMeerkat(): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meerkat-probe-'));
  const port = await getFreePort();
  const config = join(dir, 'zoo.cfg');
  writeFileSync(config, `clientPort=${port}\ndataDir=${join(dir, 'data')}\n4lw.commands.whitelist=*\n`);
  const child = spawn(process.execPath, ['bin/meerkat.js', 'start', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    while (!output.includes('meerkat serving')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`meerkat start did not come up:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await probeNeverReadingClient({ host: '127.0.0.1', port, pid: child.pid!, closeWaitMs });
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function probeZooKeeper(): Promise<ProbeResult> {
  const zookeeper = await startReferenceZooKeeper();
  try {
    return await probeNeverReadingClient({ host: zookeeper.host, port: zookeeper.port, pid: zookeeper.pid, closeWaitMs });
  } catch (error) {
    console.error(`zookeeper probe failed; its log:\n${zookeeper.logTail(40)}`);
    throw error;
  } finally {
    await zookeeper.stop();
  }
}

const args = process.argv.slice(2);
if (!args.includes('--zookeeper-only')) report('meerkat', await probeMeerkat());
if (!args.includes('--meerkat-only')) report('zookeeper 3.8', await probeZooKeeper());
