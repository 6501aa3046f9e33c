// The AdminServer's commands against a ServerCore on a hand-driven clock: the JSON and the
// four-letter words come from one report each, so their values agree; names and aliases resolve
// as ZooKeeper's; the resets reset. The HTTP layer and the comparison with a live ZooKeeper 3.8's
// AdminServer: test/admin/.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OpCode } from '../proto/index.js';
import { type ClientConnection, ServerCore, defaultConfig } from '../server/index.js';
import { type AdminContext, adminCommandNames, adminCommandNeedsAuth, runAdminCommand } from './admin-commands.js';
import { fourLetterWordReply } from './four-letter-words.js';
import { JavaDouble, type JsonObject } from './json-writer.js';
import type { ServerProcess } from './server-process.js';

const fakeProcess: ServerProcess = {
  uptimeMs: () => 1234,
  openFileDescriptors: () => 10,
  maxFileDescriptors: () => 1024,
  memory: () => ({ residentBytes: 1, heapUsedBytes: 1, heapFreeBytes: 3 << 20, heapMaxBytes: 64 << 20, heapTotalBytes: 8 << 20 }),
  environment: {
    hostName: 'host', platform: 'linux', arch: 'x64', osRelease: '6.1', userName: 'zk', userHome: '/home/zk',
    workingDir: '/srv', tmpDir: '/tmp', nodeVersion: 'v20.0.0', pid: 42,
  },
};

function serverWithOneSession(): { core: ServerCore; connection: ClientConnection; context: AdminContext } {
  let now = 1_000;
  const core = new ServerCore({ ...defaultConfig(), fourLetterWords: new Set(['*']) }, { now: () => now });
  const persistAll = (): void => {
    const batch = core.takeUnpersisted();
    if (batch.length > 0) core.persisted(batch[batch.length - 1]!.header.zxid);
  };
  const connection = core.openConnection({ send: () => {}, close: () => {}, outputBytes: 0 }, '127.0.0.1', 5000);
  core.connect(connection, { protocolVersion: 0, lastZxidSeen: 0, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false });
  now += 3;
  persistAll();
  core.request(connection, 1, { type: OpCode.create, path: '/a', data: new Uint8Array(2), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 1 });
  now += 5;
  persistAll();
  core.request(connection, 2, { type: OpCode.getData, path: '/a', watch: true });
  const context: AdminContext = { core, process: fakeProcess, clientPort: 2181, facts: { lastSnapshot: () => null, initialConfiguration: 'tickTime=2000\n' } };
  return { core, connection, context };
}

describe('admin commands', () => {
  it('monitor holds the values mntr prints, typed, with the scraper not counted as a connection', () => {
    const { core, context } = serverWithOneSession();
    const monitor = runAdminCommand('monitor', context);
    const text = fourLetterWordReply({ word: 'mntr', core, asker: { address: '127.0.0.1', port: 9, acceptedAtMs: 0 }, clientPort: 2181, process: fakeProcess });
    for (const line of text.trim().split('\n')) {
      const [key, printed] = line.replace(/^zk_/, '').split('\t') as [string, string];
      const value = monitor[key];
      // mntr counts its asker's connection, and its own packet in and out.
      if (key === 'num_alive_connections') assert.equal(value, Number(printed) - 1);
      else if (key === 'packets_received' || key === 'packets_sent') assert.equal(value, Number(printed) - (key === 'packets_received' ? 1 : 0));
      else if (value instanceof JavaDouble) assert.equal(value.value, Number(printed), key);
      else assert.equal(String(value), printed, key);
    }
    assert.equal(monitor.ephemerals_count, 1);
    assert.equal(monitor.watch_count, 1);
  });

  it('answers every alias under its primary name, and an unknown name with ZooKeeper\'s error', () => {
    const { context } = serverWithOneSession();
    for (const [alias, primary] of [['srvr', 'server_stats'], ['stat', 'stats'], ['mntr', 'monitor'], ['config', 'configuration'],
      ['cons', 'connections'], ['crst', 'connection_stat_reset'], ['envi', 'environment'], ['isro', 'is_read_only'], ['wchc', 'watches'],
      ['wchp', 'watches_by_path'], ['wchs', 'watch_summary'], ['lsnp', 'last_snapshot'], ['icfg', 'initial_configuration'],
      ['sysp', 'system_properties'], ['lead', 'leader'], ['srst', 'stat_reset'], ['obsr', 'observers'], ['orst', 'observer_connection_stat_reset']]) {
      assert.equal(runAdminCommand(alias!, context).command, primary, alias);
    }
    assert.deepEqual(runAdminCommand('snapshot', context), { command: 'snapshot', error: 'Unknown command: snapshot' });
    assert.ok(adminCommandNames.includes('zabstate') && !adminCommandNames.includes('srvr'));
  });

  it('asks for credentials exactly on the commands that change state or list paths and sessions', () => {
    const needing = adminCommandNames.filter((name) => adminCommandNeedsAuth(name));
    assert.deepEqual(needing, ['connection_stat_reset', 'dump', 'observer_connection_stat_reset', 'stat_reset', 'watches', 'watches_by_path']);
    assert.equal(adminCommandNeedsAuth('wchc'), true);
    assert.equal(adminCommandNeedsAuth('no_such_command'), false);
  });

  it('lists the session, its ephemeral and its watch by id, and crst resets the connection\'s counters', () => {
    const { connection, context } = serverWithOneSession();
    const id = connection.sessionId;
    assert.deepEqual(runAdminCommand('dump', context).session_id_to_ephemeral_paths, { [id.toString()]: ['/a'] });
    assert.deepEqual(runAdminCommand('watches', context).session_id_to_watched_paths, { [id.toString()]: ['/a'] });
    assert.deepEqual(runAdminCommand('watches_by_path', context).path_to_session_ids, { '/a': [id] });
    const entry = () => (runAdminCommand('connections', context).connections as JsonObject[])[0]!;
    assert.equal(entry().last_operation, 'GETD');
    assert.equal(entry().session_id, id);
    runAdminCommand('crst', context);
    assert.equal(entry().last_operation, 'NA');
    assert.equal(entry().last_zxid, -1);
  });

  it('answers last_snapshot with ZooKeeper\'s -1 when there is none, and leader with a standalone server\'s error', () => {
    const { context } = serverWithOneSession();
    assert.deepEqual(runAdminCommand('last_snapshot', context), { zxid: 'ffffffffffffffff', timestamp: -1, command: 'last_snapshot', error: null });
    assert.deepEqual(runAdminCommand('leader', context), { error: 'server is not initialized', command: 'leader' });
  });
});
