import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminSettings, prometheusProviderClass } from './admin-config.js';
import { ConfigError, configFromEntries, parseZooCfgText, renderZooCfg } from './zoo-cfg.js';

const settingsOf = (extra: Record<string, string>) => adminSettings({ extra });

describe('admin settings from zoo.cfg', () => {
  it('stays off without admin keys; ZooKeeper\'s port 8080 and /commands, bound to 127.0.0.1 once asked for', () => {
    assert.deepEqual(settingsOf({}), { enabled: false, host: '127.0.0.1', port: 8080, commandUrl: '/commands', metrics: null });
    assert.equal(settingsOf({ 'admin.enableServer': 'true' }).enabled, true);
    assert.equal(settingsOf({ 'admin.serverPort': '9090' }).enabled, true);
    assert.equal(settingsOf({ 'admin.serverPort': '9090', 'admin.enableServer': 'false' }).enabled, false);
    assert.deepEqual(settingsOf({ 'admin.serverAddress': '0.0.0.0', 'admin.serverPort': '0', 'admin.commandURL': '/zk' }),
      { enabled: true, host: '0.0.0.0', port: 0, commandUrl: '/zk', metrics: null });
  });

  it('opens the metrics listener for ZooKeeper\'s Prometheus provider, on port 7000 and 127.0.0.1 by default', () => {
    assert.deepEqual(settingsOf({ 'metricsProvider.className': prometheusProviderClass }).metrics, { host: '127.0.0.1', port: 7000 });
    assert.deepEqual(settingsOf({ 'metricsProvider.className': prometheusProviderClass, 'metricsProvider.httpPort': '0', 'metricsProvider.httpHost': '::1' }).metrics,
      { host: '::1', port: 0 });
  });

  it('refuses bad values when zoo.cfg is read, naming the key', () => {
    for (const [key, value, message] of [
      ['admin.serverPort', '70000', /admin.serverPort: expected a port/],
      ['admin.enableServer', 'yes please', /admin.enableServer: expected true or false/],
      ['admin.commandURL', 'commands', /admin.commandURL: expected a path/],
      ['metricsProvider.className', 'org.example.Other', /only org.apache.zookeeper.metrics.prometheus/],
    ] as const) {
      assert.throws(() => configFromEntries(new Map([[key, value]])), (error: Error) => error instanceof ConfigError && message.test(error.message));
    }
  });
});

describe('renderZooCfg', () => {
  it('renders a configuration that zoo.cfg parsing reads back to the same configuration', () => {
    const config = configFromEntries(parseZooCfgText([
      'tickTime=500', 'dataDir=/tmp/zk', 'dataLogDir=/tmp/zk-log', 'clientPort=2999', 'maxClientCnxns=7', 'snapCount=1000',
      'forceSync=no', '4lw.commands.whitelist=ruok,srvr', 'autopurge.purgeInterval=2', 'admin.serverPort=8081', 'initLimit=10',
    ].join('\n')));
    const again = configFromEntries(parseZooCfgText(renderZooCfg(config)));
    assert.deepEqual({ ...again, fourLetterWords: [...again.fourLetterWords] }, { ...config, fourLetterWords: [...config.fourLetterWords] });
  });

  it('leaves the superDigest out', () => {
    const config = configFromEntries(new Map([['DigestAuthenticationProvider.superDigest', 'super:abc=']]));
    assert.doesNotMatch(renderZooCfg(config), /superDigest|super:abc/);
  });
});
