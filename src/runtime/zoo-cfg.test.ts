import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, configFromEntries, parseZooCfgText } from './zoo-cfg.js';

describe('zoo.cfg', () => {
  it('reads ZooKeeper keys and derives session bounds from tickTime', () => {
    const config = configFromEntries(parseZooCfgText([
      '# comment', '', 'tickTime=500', 'dataDir=/tmp/zk', 'clientPort=2999', '4lw.commands.whitelist=ruok, srvr',
      'autopurge.purgeInterval=1', 'initLimit=10',
    ].join('\n')));
    assert.equal(config.tickTimeMs, 500);
    assert.equal(config.minSessionTimeoutMs, 1000);
    assert.equal(config.maxSessionTimeoutMs, 10000);
    assert.equal(config.dataDir, '/tmp/zk');
    assert.equal(config.dataLogDir, '/tmp/zk');
    assert.equal(config.port, 2999);
    assert.deepEqual([...config.fourLetterWords], ['ruok', 'srvr']);
    assert.equal(config.initLimitTicks, 10);
    assert.equal(config.autopurgePurgeIntervalHours, 1);
  });

  it('turns quota enforcement on with enforceQuota, or ZooKeeper\'s property name zookeeper.enforceQuota; off by default', () => {
    assert.equal(configFromEntries(new Map()).enforceQuota, false);
    assert.equal(configFromEntries(new Map([['enforceQuota', 'true']])).enforceQuota, true);
    assert.equal(configFromEntries(new Map([['zookeeper.enforceQuota', 'true']])).enforceQuota, true);
    assert.equal(configFromEntries(new Map([['enforceQuota', 'false']])).enforceQuota, false);
    assert.throws(() => configFromEntries(new Map([['enforceQuota', 'on']])), /enforceQuota: expected true\/false/);
  });

  it('reads maxCnxns, the limit on connections in all (0: none, as in ZooKeeper)', () => {
    assert.equal(configFromEntries(parseZooCfgText('maxCnxns=500')).maxConnections, 500);
    assert.equal(configFromEntries(parseZooCfgText('maxCnxns=0')).maxConnections, 0);
  });

  it('reads the output bounds (Meerkat keys: ZooKeeper has none) and rejects a soft bound above the hard one', () => {
    const config = configFromEntries(parseZooCfgText([
      'meerkat.connectionOutputSoftBytes=65536', 'meerkat.connectionOutputHardBytes=262144',
      'meerkat.connectionOutputStallMs=2000', 'meerkat.serverOutputBytes=8388608',
    ].join('\n')));
    assert.equal(config.connectionOutputSoftBytes, 65536);
    assert.equal(config.connectionOutputHardBytes, 262144);
    assert.equal(config.connectionOutputStallMs, 2000);
    assert.equal(config.serverOutputBytes, 8388608);
    assert.throws(
      () => configFromEntries(new Map([['meerkat.connectionOutputSoftBytes', '9000000'], ['meerkat.connectionOutputHardBytes', '4000000']])),
      /connectionOutputSoftBytes/,
    );
  });

  it('reads the handshake timeout as ZooKeeper\'s nio.sessionlessCnxnTimeout (either spelling); 10 s by default', () => {
    assert.equal(configFromEntries(new Map()).handshakeTimeoutMs, 10_000);
    assert.equal(configFromEntries(parseZooCfgText('nio.sessionlessCnxnTimeout=1500')).handshakeTimeoutMs, 1500);
    assert.equal(configFromEntries(parseZooCfgText('zookeeper.nio.sessionlessCnxnTimeout=2500')).handshakeTimeoutMs, 2500);
    assert.throws(() => configFromEntries(new Map([['nio.sessionlessCnxnTimeout', '0']])), /nio.sessionlessCnxnTimeout: 0 is outside/);
  });

  it('rejects a line without "=" and a non-numeric number with a clear error', () => {
    assert.throws(() => parseZooCfgText('tickTime'), ConfigError);
    assert.throws(() => configFromEntries(new Map([['tickTime', 'fast']])), /tickTime: expected an integer/);
  });

  it('reads an ensemble (server.N lines and myid), and refuses a bad one or a dynamicConfigFile', () => {
    const members: Array<[string, string]> = [['server.1', '127.0.0.1:2888:3888'], ['server.2', '127.0.0.2:2888:3888;2182'], ['server.3', '127.0.0.3:2888:3888'], ['server.4', '127.0.0.4:2888:3888:observer']];
    const config = configFromEntries(new Map([...members, ['myid', '2'], ['initLimit', '7'], ['syncLimit', '3']]));
    assert.equal(config.ensemble?.myId, 2);
    assert.equal(config.serverId, 2);
    assert.deepEqual(config.ensemble?.members.map((member) => `${member.id}:${member.role}`), ['1:participant', '2:participant', '3:participant', '4:observer']);
    assert.equal(config.port, 2182, 'the client port from its server.N line');
    assert.deepEqual([config.initLimitTicks, config.syncLimitTicks], [7, 3]);
    assert.throws(() => configFromEntries(new Map([...members.slice(0, 2), ['myid', '2']])), /bad ensemble configuration: 2 voting members/);
    assert.throws(() => parseZooCfgText('server.1=a:1:2\nserver.1=b:1:2'), /line 2: server\.1 is listed twice/);
    assert.throws(() => configFromEntries(new Map([['dynamicConfigFile', '/etc/zookeeper/zoo.cfg.dynamic']])), /dynamicConfigFile is not supported/);
  });

  it('rejects inverted session timeout bounds', () => {
    assert.throws(
      () => configFromEntries(new Map([['minSessionTimeout', '9000'], ['maxSessionTimeout', '4000']])),
      /minSessionTimeout/,
    );
  });
});
