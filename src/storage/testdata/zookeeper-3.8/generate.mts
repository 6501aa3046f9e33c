// Has Apache ZooKeeper 3.8 write the small data directory in this folder (see README.md). Run from the
// repository root: node --import tsx src/storage/testdata/zookeeper-3.8/generate.mts src/storage/testdata/zookeeper-3.8
import { mkdirSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMode, OpCode } from '../../../proto/index.js';
import { parseLogFile } from '../../index.js';
import { RawClient } from '../../../../test/helpers/raw-client.js';
import { startReferenceZooKeeper } from '../../../../test/helpers/reference-zookeeper.js';
const dataDir = join(tmpdir(), `meerkat-zk-fixture-${process.pid}`);
const out = process.argv[2]!;
rmSync(dataDir, { recursive: true, force: true }); mkdirSync(dataDir, { recursive: true });
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const zk = await startReferenceZooKeeper({ dataDir, config: { snapCount: '16' } });
try {
  const c = await RawClient.connect({ host: zk.host, port: zk.port });
  const r = async (req: any, err = 0) => { const x = await c.request(req); if (x.header.err !== err) throw new Error(JSON.stringify(x.header)); };
  await r({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('carol:pw') });
  await r({ type: OpCode.create, path: '/app', data: Buffer.from('v1'), acl: open, flags: 0 });
  for (let i = 0; i < 12; i++) await r({ type: OpCode.create, path: '/app/item-', data: Buffer.alloc(i * 7, i), acl: open, flags: CreateMode.persistentSequential });
  await r({ type: OpCode.setData, path: '/app', data: Buffer.from('v2'), version: 0 });
  await r({ type: OpCode.delete, path: '/app/item-0000000003', version: -1 });
  await r({ type: OpCode.create, path: '/private', data: Buffer.from('p'), acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 });
  await r({ type: OpCode.setACL, path: '/private', acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }, { perms: 1, id: { scheme: 'world', id: 'anyone' } }], version: 0 });
  await r({ type: OpCode.create, path: '/eph', data: Buffer.from('e'), acl: open, flags: CreateMode.ephemeral });
  await r({ type: OpCode.createContainer, path: '/box', data: Buffer.alloc(0), acl: open, flags: CreateMode.container });
  await r({ type: OpCode.create, path: '/box/in', data: Buffer.alloc(0), acl: open, flags: 0 });
  await r({ type: OpCode.createTTL, path: '/ttl', data: Buffer.alloc(0), acl: open, flags: CreateMode.persistentWithTtl, ttl: 3_600_000 });
  await r({ type: OpCode.multi, ops: [
    { type: OpCode.create, path: '/multi', data: Buffer.from('m'), acl: open, flags: 0 },
    { type: OpCode.setData, path: '/multi', data: Buffer.from('m2'), version: 0 },
    { type: OpCode.check, path: '/multi', version: 1 },
    { type: OpCode.delete, path: '/box/in', version: -1 },
  ] });
  const failed = await c.request({ type: OpCode.multi, ops: [
    { type: OpCode.create, path: '/never', data: Buffer.from('x'), acl: open, flags: 0 },
    { type: OpCode.delete, path: '/missing', version: -1 },
  ] });
  void failed;
  const c2 = await RawClient.connect({ host: zk.host, port: zk.port });
  await c2.request({ type: OpCode.create, path: '/eph2', data: Buffer.from('e'), acl: open, flags: CreateMode.ephemeral });
  await c2.request({ type: OpCode.closeSession });
  c2.destroy();
  for (let i = 0; i < 6; i++) await r({ type: OpCode.setData, path: '/app', data: Buffer.from(`v${3 + i}`), version: -1 });
  c.destroy();
} finally { await zk.stop(); }
mkdirSync(`${out}/version-2`, { recursive: true });
for (const name of readdirSync(`${dataDir}/version-2`)) {
  let bytes = readFileSync(`${dataDir}/version-2/${name}`);
  // Keep the records, drop the 64 MiB of preallocated zeros (ZooKeeper reads a log that ends there).
  if (name.startsWith('log.')) bytes = bytes.subarray(0, parseLogFile(name, bytes).validEnd);
  writeFileSync(`${out}/version-2/${name}`, bytes);
}
rmSync(dataDir, { recursive: true, force: true });
console.log(readdirSync(`${out}/version-2`));
