// `meerkat shell -c`: zkCli's commands and output against an in-process Meerkat, exit statuses
// (0 ok, 1 ZooKeeper error, 2 usage error), tab completion, and the interactive loop over streams.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ZooKeeperClient } from '../../src/client/index.js';
import { completeLine, runInteractive } from '../../src/cli/shell/index.js';
import { capture, shell, startTestServer, type TestServer } from './shell-harness.js';

const statLines = [
  /^cZxid = 0x[0-9a-f]+$/, /^ctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$/, /^mZxid = 0x[0-9a-f]+$/,
  /^mtime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$/, /^pZxid = 0x[0-9a-f]+$/, /^cversion = -?\d+$/,
  /^dataVersion = \d+$/, /^aclVersion = \d+$/, /^ephemeralOwner = 0x[0-9a-f]+$/, /^dataLength = \d+$/, /^numChildren = \d+$/,
];

function assertStat(lines: string[]): void {
  assert.equal(lines.length, statLines.length, lines.join('\n'));
  lines.forEach((line, index) => assert.match(line, statLines[index]!));
}

/** The real `meerkat` command (bin/meerkat.js runs the compiled dist/, which `npm test` builds first). */
const builtCliPath = join(process.cwd(), 'bin/meerkat.js');
const builtCli = existsSync(join(process.cwd(), 'dist/src/cli/index.js'));

describe('meerkat shell -c', () => {
  let test: TestServer;
  let server: string;
  before(async () => {
    test = await startTestServer();
    server = test.server.connectString;
  });
  after(() => test.stop());

  it('creates, reads and lists nodes with zkCli output', async () => {
    const run = await shell(server, 'create /app "hello world"; create /app/one; ls /; ls /app; get /app');
    assert.deepEqual(run, { code: 0, out: 'Created /app\nCreated /app/one\n[app, zookeeper]\n[one]\nhello world\n', err: '' });
  });

  it('creates a node with no data (null) when no data is given, and get prints "null", as zkCli does', async () => {
    const run = await shell(server, 'create /none; get /none; create /empty ""; get /empty; set /empty x; get /empty');
    assert.deepEqual(run, { code: 0, out: 'Created /none\nnull\nCreated /empty\n\nx\n', err: '' });
  });

  it('prints Stat fields in zkCli format for get -s, stat and ls -s', async () => {
    await shell(server, 'create /stat data');
    const get = await shell(server, 'get -s /stat');
    assert.equal(get.code, 0);
    const lines = get.out.trimEnd().split('\n');
    assert.equal(lines[0], 'data');
    assertStat(lines.slice(1));
    assert.match(get.out, /dataLength = 4\n/);
    const stat = await shell(server, 'stat /stat');
    assertStat(stat.out.trimEnd().split('\n'));
    const ls = await shell(server, 'ls -s /stat');
    assert.equal(ls.out.split('\n')[0], '[]');
    assertStat(ls.out.trimEnd().split('\n').slice(1));
  });

  it('lists a subtree breadth-first with ls -R', async () => {
    await shell(server, 'create /tree; create /tree/b; create /tree/a; create /tree/a/x');
    assert.equal((await shell(server, 'ls -R /tree')).out, '/tree\n/tree/a\n/tree/b\n/tree/a/x\n');
  });

  it('sets data with a version check and deletes with deleteall', async () => {
    await shell(server, 'create /versioned v0');
    assert.equal((await shell(server, 'set -v 0 /versioned v1; get /versioned')).out, 'v1\n');
    const stale = await shell(server, 'set -v 0 /versioned v2');
    assert.deepEqual(stale, { code: 1, out: '', err: 'version No is not valid : /versioned\n' });
    await shell(server, 'create /versioned/child');
    assert.equal((await shell(server, 'delete /versioned')).err, 'Node not empty: /versioned\n');
    assert.equal((await shell(server, 'deleteall /versioned; stat /versioned')).err, 'Node does not exist: /versioned\n');
  });

  it('creates sequential, ephemeral and container nodes', async () => {
    const run = await shell(server, 'create /seqs; create -s /seqs/n-; create -e /eph; getEphemerals /; create -c /container');
    assert.equal(run.code, 0, run.err);
    assert.equal(run.out, 'Created /seqs\nCreated /seqs/n-0000000000\nCreated /eph\n[/eph]\nCreated /container\n');
    assert.equal((await shell(server, 'stat /eph')).code, 1, 'the ephemeral went with the shell\'s session');
  });

  it('reports ZooKeeper errors readably with exit status 1 and stops the script', async () => {
    const run = await shell(server, 'get /missing; create /never');
    assert.deepEqual(run, { code: 1, out: '', err: 'Node does not exist: /missing\n' });
    assert.equal((await shell(server, 'create /dup; create /dup')).err, 'Node already exists: /dup\n');
  });

  it('reports usage errors with the usage line and exit status 2', async () => {
    const cases: Array<[string, RegExp]> = [
      ['ls', /Usage: ls/], ['frobnicate /', /Command not found: frobnicate/], ['set -v x /a b', /-v expects an integer/],
      ['get -q /', /unknown option -q/], ['create "/open', /unbalanced/], ['', /No command given/],
    ];
    for (const [script, message] of cases) {
      const run = await shell(server, script);
      assert.equal(run.code, 2, script);
      assert.match(run.err, message);
    }
  });

  it('reads and sets ACLs, with addauth and whoami', async () => {
    const run = await shell(server, 'create /acl; setAcl /acl world:anyone:rw; getAcl /acl');
    assert.equal(run.out, "Created /acl\n'world,'anyone\n: rw\n");
    const auth = await shell(server, 'addauth digest alice:secret; create /owned x auth::cdrwa; getAcl /owned; whoami');
    assert.match(auth.out, /'digest,'alice:[A-Za-z0-9+/=]+\n: cdrwa\n/);
    assert.match(auth.out, /Auth scheme: User\n/);
    assert.match(auth.out, /digest: alice\n/);
    assert.deepEqual(await shell(server, 'get /owned'), { code: 1, out: '', err: 'Authentication is not valid : /owned\n' });
  });

  it('answers sync, getAllChildrenNumber and history', async () => {
    await shell(server, 'create /count; create /count/a; create /count/a/b');
    const run = await shell(server, 'sync /count; getAllChildrenNumber /count; history');
    assert.equal(run.out, 'Sync is OK\n2\n0 - sync /count\n1 - getAllChildrenNumber /count\n2 - history\n');
  });

  it('says plainly that config and reconfig are not supported', async () => {
    const config = await shell(server, 'config');
    assert.equal(config.code, 1);
    assert.match(config.err, /config is not supported by this server/);
    assert.match((await shell(server, 'reconfig -add x')).err, /reconfig is not supported/);
  });

  it('exits with status 1 when no server answers', async () => {
    const run = await shell('127.0.0.1:1', 'ls /', { connectTimeoutMs: 1000 });
    assert.equal(run.code, 1);
    assert.match(run.err, /^Unable to connect to 127\.0\.0\.1:1/);
  });

  it('sets the process exit status when run as `meerkat shell -c`', { skip: builtCli ? false : 'run `npm run build` first (npm test does)' }, async () => {
    const run = (script: string): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
      execFile(process.execPath, [builtCliPath, 'shell', '--server', server, '-c', script], { timeout: 20_000 },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr }));
    });
    const [ok, missing, mistyped] = await Promise.all([run('create /process; ls /process'), run('get /nothing'), run('ls -z /')]);
    assert.deepEqual(ok, { code: 0, stdout: 'Created /process\n[]\n', stderr: '' });
    assert.deepEqual(missing, { code: 1, stdout: '', stderr: 'Node does not exist: /nothing\n' });
    assert.equal(mistyped.code, 2);
  });

  it('honours a chroot in the connect string', async () => {
    await shell(server, 'create /chroot; create /chroot/inside');
    assert.equal((await shell(`${server}/chroot`, 'ls /')).out, '[inside]\n');
  });
});

describe('shell completion and interactive loop', () => {
  let test: TestServer;
  let client: ZooKeeperClient;
  before(async () => {
    test = await startTestServer();
    client = await ZooKeeperClient.connect(test.server.connectString);
    for (const path of ['/services', '/services/alpha', '/services/beta', '/settings']) await client.create(path);
  });
  after(async () => {
    await client.close();
    await test.stop();
  });

  it('completes command names from the first word', async () => {
    assert.deepEqual(await completeLine(client, 'getA'), [['getAcl', 'getAllChildrenNumber'], 'getA']);
    assert.deepEqual(await completeLine(client, 'del'), [['delete', 'deleteall'], 'del']);
    assert.deepEqual(await completeLine(client, '  wh'), [['whoami'], 'wh']);
  });

  it('completes paths by asking the server for the children of the parent', async () => {
    assert.deepEqual(await completeLine(client, 'ls /se'), [['/services', '/settings'], '/se']);
    assert.deepEqual(await completeLine(client, 'get -s /services/'), [['/services/alpha', '/services/beta'], '/services/']);
    assert.deepEqual(await completeLine(client, 'ls /nowhere/x'), [[], '/nowhere/x']);
  });

  it('runs commands from its input, prompts like zkCli and prints watch events as they arrive', async () => {
    const input = new PassThrough();
    const output = capture();
    const done = runInteractive({ client, input, output: output.stream, connectString: 'test:2181', terminal: false });
    const waitFor = async (text: string): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!output.text().includes(text)) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${JSON.stringify(text)} in:\n${output.text()}`);
        await once(output.stream, 'data');
      }
    };
    input.write('ls /services\n');
    await waitFor('[alpha, beta]');
    input.write('get -w /settings\n');
    await waitFor('[zk: test:2181(CONNECTED) 2]');
    await client.setData('/settings', 'changed');
    await waitFor('WatchedEvent state:SyncConnected type:NodeDataChanged path:/settings');
    input.write('get /none\nquit\n');
    assert.equal(await done, 0);
    assert.match(output.text(), /^\[zk: test:2181\(CONNECTED\) 0\] /);
    assert.match(output.text(), /Node does not exist: \/none/);
  });
});
