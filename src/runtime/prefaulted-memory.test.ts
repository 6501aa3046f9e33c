import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpCode } from '../proto/index.js';
import { joinPath, versionDirName, writeSnapshotFile } from '../storage/index.js';
import { DataTree, applyTxn } from '../tree/index.js';
import { NodeFileSystem } from './node-file-system.js';
import { PrefaultedMemory } from './prefaulted-memory.js';
import { startServer } from './standalone-server.js';

const until = async (condition: () => boolean): Promise<void> => {
  for (let waited = 0; !condition(); waited += 5) {
    assert.ok(waited < 10_000, 'the prefault thread answered in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('prefaulted tree memory', () => {
  it('start the thread with the first large column, then hand out shared chunks of the size asked', async () => {
    const chunks = new PrefaultedMemory(64 * 1024, (error) => assert.fail(error), 2);
    try {
      assert.equal(chunks.chunk(), undefined, 'no chunk before a large column started the thread');
      assert.equal(chunks.column(1024, 1024), undefined, 'a small column starts nothing');
      assert.ok(chunks.column(1 << 20, 1 << 20) instanceof SharedArrayBuffer);
      assert.equal(chunks.chunk(), undefined, 'nothing is ready before the thread ran');
      const taken: Uint8Array[] = [];
      await until(() => {
        const chunk = chunks.chunk();
        if (chunk !== undefined) taken.push(chunk);
        return taken.length === 5;
      });
      for (const chunk of taken) {
        assert.equal(chunk.length, 64 * 1024);
        assert.ok(chunk.buffer instanceof SharedArrayBuffer);
        assert.ok(chunk.every((byte) => byte === 0));
      }
      assert.equal(new Set(taken.map((chunk) => chunk.buffer)).size, 5, 'every chunk is a buffer of its own');
    } finally {
      await chunks.close();
    }
    assert.equal(chunks.chunk(), undefined, 'a closed source hands out nothing');
  });

  it('hand out column buffers at once, zero-filled, and keep every byte written while the thread touches them', async () => {
    const memory = new PrefaultedMemory(64 * 1024, (error) => assert.fail(error), 2);
    try {
      assert.equal(memory.column(1024, 1024), undefined, 'a small column is left to the store');
      const buffers = [0, 1, 2].map(() => memory.column(4 << 20, 3 << 20)!);
      for (const buffer of buffers) {
        assert.ok(buffer instanceof SharedArrayBuffer);
        assert.equal(buffer.byteLength, 4 << 20);
        // Written while the thread may be touching the same pages.
        const words = new Int32Array(buffer);
        for (let i = 0; i < words.length; i += 257) words[i] = i + 1;
      }
      // The thread is done with them once a chunk asked for after them arrives (it handles messages in
      // order): the first two chunks were asked for when it started, the third when the first was taken.
      let taken = 0;
      await until(() => (memory.chunk() !== undefined ? ++taken : taken) === 3);
      for (const buffer of buffers) {
        const words = new Int32Array(buffer);
        for (let i = 0; i < words.length; i++) assert.equal(words[i], i % 257 === 0 ? i + 1 : 0);
      }
    } finally {
      await memory.close();
    }
    assert.equal(memory.column(1 << 20, 1 << 20), undefined, 'a closed source hands out nothing');
  });

  it('load a snapshot spanning many chunks into a restarted server with every byte and the digest intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meerkat-prefault-'));
    try {
      const tree = new DataTree();
      // Enough nodes that the tree's columns start the prefault thread (256 KiB of 8-byte values); how
      // many chunks it supplies before the load ends depends on timing: the bytes must be right either way.
      const nodes = 40_000;
      const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
      const dataOf = (i: number): Buffer => Buffer.alloc(200, i % 251);
      for (let i = 0; i < nodes; i++) {
        applyTxn(tree, { sessionId: 0n, cxid: 0, zxid: i + 1, time: 1_700_000_000_000, type: OpCode.create },
          { type: OpCode.create, path: `/n${i}`, data: dataOf(i), acl: open, ephemeral: false, parentCVersion: i + 1 });
      }
      const fs = new NodeFileSystem();
      await fs.mkdir(joinPath(dir, versionDirName));
      await writeSnapshotFile(tree, { fs, dir: joinPath(dir, versionDirName), sessions: new Map(), zxid: nodes });
      const server = await startServer({ port: 0, dataDir: dir, logLevel: 'silent' });
      try {
        const loaded = server.core.tree;
        assert.equal(loaded.digest(), tree.digest());
        for (let i = 0; i < nodes; i++) assert.deepEqual(Buffer.from(loaded.getNode(`/n${i}`)!.data!), dataOf(i), `/n${i}`);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
