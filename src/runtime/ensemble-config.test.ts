import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnsembleConfigError, parseEnsembleConfig, parseMember } from './ensemble-config.js';

const three: Array<[string, string]> = [
  ['server.1', '10.0.0.1:2888:3888'], ['server.2', '10.0.0.2:2888:3888'], ['server.3', '10.0.0.3:2888:3888;2181'],
];

describe('ensemble configuration (server.N lines and myid)', () => {
  it('reads every part of ZooKeeper 3.5+\'s server.N syntax', () => {
    assert.deepEqual(parseMember('server.7', '[::1]:2888:3888:observer;127.0.0.1:2181'), {
      id: 7, host: '::1', quorumPort: 2888, electionPort: 3888, role: 'observer', clientAddress: '127.0.0.1', clientPort: 2181,
    });
    assert.deepEqual(parseMember('server.2', 'zk2.example:2888:3888:participant'), {
      id: 2, host: 'zk2.example', quorumPort: 2888, electionPort: 3888, role: 'participant',
    });
    assert.equal(parseMember('server.3', 'h:1:2;2182').clientPort, 2182);
  });

  it('names what is wrong with a bad server.N line', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['server.0', 'h:1:2', /member id must be 1-255/],
      ['server.256', 'h:1:2', /member id must be 1-255/],
      ['server.x', 'h:1:2', /member id/],
      ['server.1', 'h:2888', /expected host:quorumPort:electionPort/],
      ['server.1', 'h:2888:3888:voter', /role must be participant or observer/],
      ['server.1', 'h:0:3888', /quorum port "0"/],
      ['server.1', 'h:2888:99999', /election port "99999"/],
      ['server.1', 'h:2888:2888', /must differ/],
      ['server.1', '[::1:2888:3888', /IPv6/],
      ['server.1', 'h:1:2;port', /client port "port"/],
    ];
    for (const [key, value, message] of bad) assert.throws(() => parseMember(key, value), message, `${key}=${value}`);
  });

  it('finds this server among the members by its myid file, as ZooKeeper does', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-ensemble-'));
    try {
      writeFileSync(join(dataDir, 'myid'), '3\n');
      const ensemble = parseEnsembleConfig(new Map([...three, ['dataDir', dataDir]]));
      assert.equal(ensemble?.myId, 3);
      assert.deepEqual(ensemble?.members.map((member) => member.id), [1, 2, 3]);
      writeFileSync(join(dataDir, 'myid'), '4\n');
      assert.throws(() => parseEnsembleConfig(new Map([...three, ['dataDir', dataDir]])), /myid is 4, but there is no server\.4 line/);
      rmSync(join(dataDir, 'myid'));
      assert.throws(() => parseEnsembleConfig(new Map([...three, ['dataDir', dataDir]])), /myid is missing/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an even number of voters, two members on one port, and gives null with no members', () => {
    assert.throws(() => parseEnsembleConfig(new Map([...three.slice(0, 2), ['myid', '1']])), /2 voting members: use an odd number/);
    assert.doesNotThrow(() => parseEnsembleConfig(new Map([...three.slice(0, 2), ['server.3', 'h:1:2:observer'], ['server.4', 'h2:1:2'], ['myid', '1']])));
    assert.throws(() => parseEnsembleConfig(new Map([...three, ['server.4', '10.0.0.1:2888:4000'], ['server.5', 'h:1:2'], ['myid', '1']])),
      /server\.1 and server\.4 both use 10\.0\.0\.1:2888/);
    assert.equal(parseEnsembleConfig(new Map([['dataDir', '/tmp']])), null);
    assert.ok(new EnsembleConfigError('x') instanceof Error);
  });
});
