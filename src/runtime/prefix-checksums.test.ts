import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adler32 } from '../storage/index.js';
import { threadPrefixChecksums } from './prefix-checksums.js';
import { startServer } from './standalone-server.js';

describe('prefix checksums on a thread', () => {
  it('sum every prefix asked for as Adler-32 of those bytes, across and at the checkpoint boundaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meerkat-prefix-'));
    try {
      const bytes = Buffer.alloc(3.5 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
      const path = join(dir, 'file');
      writeFileSync(path, bytes);
      const offsets = [0, 1, 1 << 20, (1 << 20) + 7, 3 << 20, bytes.length];
      const job = threadPrefixChecksums.start(path);
      assert.deepEqual(await job.at(offsets), offsets.map((offset) => adler32(bytes, 0, offset)));
      job.cancel();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fail, not hang, when the file cannot be read', async () => {
    const job = threadPrefixChecksums.start('/nonexistent/meerkat-snapshot');
    await assert.rejects(job.at([0]));
    job.cancel();
  });

  it('let a server restart from its snapshot, and refuse a snapshot with a damaged byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meerkat-prefix-server-'));
    try {
      const first = await startServer({ port: 0, dataDir: dir, logLevel: 'silent' });
      const snapshotPath = join(dir, 'version-2', 'snapshot.0');
      await first.close();
      const again = await startServer({ port: 0, dataDir: dir, logLevel: 'silent' });
      assert.ok(again.core.tree.getNode('/zookeeper') !== undefined, 'restarted from snapshot.0');
      await again.close();
      const { readFileSync } = await import('node:fs');
      const damaged = readFileSync(snapshotPath);
      damaged[damaged.length - 20]! ^= 0x01; // inside the digest section, before the last seal
      writeFileSync(snapshotPath, damaged);
      await assert.rejects(startServer({ port: 0, dataDir: dir, logLevel: 'silent' }), /snapshot\.0.*checksum|checksum.*snapshot\.0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
