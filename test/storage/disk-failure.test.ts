// A disk that stops accepting writes (ENOSPC): writes fail with an error code to the client, nothing
// unlogged is acknowledged or applied, new sessions are refused, and reads keep being served.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { NodeFileSystem } from '../../src/runtime/node-file-system.js';
import type { AppendFile } from '../../src/storage/index.js';
import { RawClient } from '../helpers/raw-client.js';

/** The real file system, until `full` is set: then every write fails as a full disk does. */
class FillableFileSystem extends NodeFileSystem {
  full = false;

  override async open(path: string, options?: { durableWrites?: boolean }): Promise<AppendFile> {
    const file = await super.open(path, options);
    return {
      writesAreDurable: file.writesAreDurable,
      write: async (bytes, position) => {
        if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        await file.write(bytes, position);
      },
      sync: () => file.sync(),
      truncate: (length) => file.truncate(length),
      close: () => file.close(),
    };
  }
}

describe('a full disk', () => {
  const fileSystem = new FillableFileSystem();
  let server: RunningServer;
  let dataDir: string;
  const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-full-'));
    server = await startServer({ port: 0, dataDir, logLevel: 'silent', fileSystem });
  });

  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails writes with SYSTEMERROR, applies none of them, refuses new sessions, keeps serving reads', async () => {
    const client = await RawClient.connect({ host: server.host, port: server.port });
    const before = await client.request({ type: OpCode.create, path: '/kept', data: Buffer.from('1'), acl: open, flags: 0 });
    assert.equal(before.header.err, 0);
    fileSystem.full = true;
    const failed = await client.request({ type: OpCode.create, path: '/lost', data: Buffer.from('2'), acl: open, flags: 0 });
    assert.equal(failed.header.err, ErrorCode.systemError);
    const later = await client.request({ type: OpCode.setData, path: '/kept', data: Buffer.from('3'), version: -1 });
    assert.equal(later.header.err, ErrorCode.systemError);
    const read = await client.request({ type: OpCode.getData, path: '/kept', watch: false });
    assert.equal(read.header.err, 0);
    assert.ok(read.response?.type === OpCode.getData);
    assert.equal(Buffer.from(read.response.data ?? []).toString(), '1');
    assert.equal((await client.request({ type: OpCode.exists, path: '/lost', watch: false })).header.err, ErrorCode.noNode);
    await assert.rejects(RawClient.connect({ host: server.host, port: server.port, connectTimeoutMs: 2000 }));
    client.destroy();
  });
});
