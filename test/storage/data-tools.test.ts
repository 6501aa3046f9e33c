// `meerkat log`, `meerkat snapshot` and `meerkat purge` on files a real server wrote.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../../src/proto/index.js';
import { startServer } from '../../src/runtime/index.js';
import { RawClient } from '../helpers/raw-client.js';

const bin = join(process.cwd(), 'bin/meerkat.js');
const built = existsSync(join(process.cwd(), 'dist/src/cli/index.js'));
const meerkat = (...args: string[]): string => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('data file tools', { skip: built ? false : 'run `npm run build` first (npm test does)' }, () => {
  let dataDir: string;
  let versionDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-tools-'));
    versionDir = join(dataDir, 'version-2');
    const server = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { snapCount: 20, preAllocBytes: 4096 } });
    const client = await RawClient.connect({ host: server.host, port: server.port });
    for (let i = 0; i < 200; i++) {
      await client.request({ type: OpCode.create, path: `/tool-${i}`, data: Buffer.from(`value-${i}`), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
    }
    await client.close();
    await server.close();
  });

  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints a log file readably and as JSON', () => {
    const log = readdirSync(versionDir).filter((name) => name.startsWith('log.')).sort()[0]!;
    const text = meerkat('log', join(versionDir, log));
    assert.match(text, /zxid 0x1 createSession/);
    assert.match(text, /create \/tool-0/);
    assert.match(text, /EOF reached after \d+ txns\./);
    const lines = meerkat('log', '--json', join(versionDir, log)).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(lines.some((line) => JSON.stringify(line).includes('"path":"/tool-0"')));
  });

  it('prints a snapshot with its nodes and sessions', () => {
    const snapshot = readdirSync(versionDir).filter((name) => /^snapshot\.[0-9a-f]+$/.test(name)).sort().pop()!;
    const text = meerkat('snapshot', join(versionDir, snapshot));
    assert.match(text, /^\/tool-\d+$/m);
    assert.match(text, /Session Details/);
    const last = JSON.parse(meerkat('snapshot', '--json', join(versionDir, snapshot)).trim().split('\n').pop()!) as { summary: { nodes: number } };
    assert.ok(last.summary.nodes > 4);
  });

  it('purges all but the newest snapshots', () => {
    const before = readdirSync(versionDir).filter((name) => name.startsWith('snapshot.')).length;
    assert.ok(before > 3, `${before} snapshots written`);
    meerkat('purge', '--data-dir', dataDir, '--count', '3');
    assert.equal(readdirSync(versionDir).filter((name) => name.startsWith('snapshot.')).length, 3);
  });
});
