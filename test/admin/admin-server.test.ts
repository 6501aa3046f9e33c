// The AdminServer's HTTP surface on Meerkat alone: credentials on the commands that change state or
// list the tree's paths (ZooKeeper 3.9's header, status codes and messages), the health probes, the
// command index, and what it does with methods and paths it does not serve.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminCommandNames } from '../../src/admin/index.js';
import { OpCode } from '../../src/proto/index.js';
import { type RunningServer, startServer } from '../../src/runtime/index.js';
import { digestFor } from '../../src/tree/index.js';
import { RawClient } from '../helpers/raw-client.js';

const protectedNames = ['connection_stat_reset', 'crst', 'stat_reset', 'srst', 'observer_connection_stat_reset', 'orst', 'dump',
  'watches', 'wchc', 'watches_by_path', 'wchp'];

describe('AdminServer', () => {
  let server: RunningServer;
  let dataDir: string;
  let base: string;
  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const withAuth = (authorization: string): RequestInit => ({ headers: { authorization } });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'meerkat-admin-'));
    server = await startServer({
      port: 0, dataDir, logLevel: 'silent', admin: { port: 0 }, config: { superDigest: digestFor('super', 'letmein') },
    });
    base = `http://127.0.0.1:${server.admin.commands!.port}`;
  });

  after(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('credentials', () => {
    it('refuses each protected command without an Authorization header: 401, "Auth info is missing"', async () => {
      for (const name of protectedNames) {
        const reply = await get(`/commands/${name}`);
        assert.equal(reply.status, 401, name);
        assert.deepEqual(JSON.parse(reply.text), { command: name, error: 'Auth info is missing for the command' });
      }
    });

    it('refuses a scheme it does not know, or a digest without a password: 401, "Not authenticated"', async () => {
      for (const authorization of ['basic YWRtaW46c2VjcmV0', 'digest', 'digest admin', 'digest a:b extra']) {
        const reply = await get('/commands/dump', withAuth(authorization));
        assert.equal(reply.status, 401, authorization);
        assert.equal(JSON.parse(reply.text).error, 'Not authenticated');
      }
    });

    it('runs each protected command for any digest user while the root is open to the world, as ZooKeeper 3.9', async () => {
      for (const name of protectedNames) {
        const reply = await get(`/commands/${name}`, withAuth('digest anyone:anything'));
        assert.equal(reply.status, 200, name);
        assert.equal(JSON.parse(reply.text).error, null, name);
      }
    });

    it('leaves unprotected commands open', async () => {
      for (const name of ['ruok', 'stats', 'monitor', 'connections', 'configuration', 'environment']) {
        assert.equal((await get(`/commands/${name}`)).status, 200, name);
      }
    });

    it('asks for a permission on the root: 403 "Not authorized" once its ACL names someone else; the super user passes', async () => {
      const client = await RawClient.connect({ host: server.host, port: server.port });
      try {
        const owner = digestFor('owner', 'pw');
        const set = await client.request({ type: OpCode.setACL, path: '/', acl: [{ perms: 31, id: { scheme: 'digest', id: owner } }], version: -1 });
        assert.equal(set.header.err, 0);
        assert.equal((await get('/commands/dump', withAuth('digest anyone:anything'))).status, 403);
        assert.equal(JSON.parse((await get('/commands/dump', withAuth('digest anyone:anything'))).text).error, 'Not authorized');
        assert.equal((await get('/commands/dump', withAuth('digest owner:pw'))).status, 200);
        assert.equal((await get('/commands/dump', withAuth('digest super:letmein'))).status, 200);
        await client.request({ type: OpCode.auth, authType: 0, scheme: 'digest', auth: Buffer.from('owner:pw') });
        const reset = await client.request({ type: OpCode.setACL, path: '/', acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], version: -1 });
        assert.equal(reset.header.err, 0);
      } finally {
        await client.close();
      }
    });
  });

  describe('health', () => {
    it('livez and readyz answer 200 while the server serves', async () => {
      assert.deepEqual(await get('/livez'), { status: 200, type: 'application/json', text: '{\n  "status" : "live"\n}' });
      assert.equal((await get('/readyz')).status, 200);
    });

    it('readyz answers 503 with the reason once the txn log refused writes', async () => {
      server.core.writesRefused = true;
      try {
        const reply = await get('/readyz');
        assert.equal(reply.status, 503);
        assert.match(JSON.parse(reply.text).reason, /txn log/);
        assert.equal((await get('/livez')).status, 200);
      } finally {
        server.core.writesRefused = false;
      }
    });
  });

  describe('routing', () => {
    it('lists every command at the command URL, as ZooKeeper\'s index page', async () => {
      const reply = await get('/commands');
      assert.equal(reply.status, 200);
      for (const name of adminCommandNames) assert.ok(reply.text.includes(`<a href="/commands/${name}">${name}</a>`), name);
    });

    it('answers HEAD with headers only, other methods with 405 and an Allow header, unknown paths with 404', async () => {
      const post = await fetch(`${base}/commands/ruok`, { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get('allow'), 'GET, HEAD');
      assert.equal((await get('/nowhere')).status, 404);
      const head = await get('/commands/ruok', { method: 'HEAD' });
      assert.deepEqual([head.status, head.type, head.text], [200, 'application/json', ''], 'HEAD: the headers only');
      assert.equal((await get('/commands/%zz')).status, 400);
    });

    it('writes 64-bit session ids as exact JSON integers', async () => {
      const client = await RawClient.connect({ host: server.host, port: server.port });
      try {
        const text = (await get('/commands/connections')).text;
        assert.match(text, new RegExp(`"session_id" : ${client.session.sessionId}\\b`));
      } finally {
        await client.close();
      }
    });
  });
});

describe('AdminServer settings', () => {
  it('serves under admin.commandURL, on the zoo.cfg address and port, and not at all when admin.enableServer=false', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'meerkat-admin-settings-'));
    try {
      const custom = await startServer({
        port: 0, dataDir, logLevel: 'silent',
        config: { extra: { 'admin.serverAddress': '127.0.0.1', 'admin.serverPort': '0', 'admin.commandURL': '/zk' } },
      });
      try {
        assert.equal(custom.admin.commands!.host, '127.0.0.1');
        assert.equal((await fetch(`http://127.0.0.1:${custom.admin.commands!.port}/zk/ruok`)).status, 200);
        assert.equal((await fetch(`http://127.0.0.1:${custom.admin.commands!.port}/commands/ruok`)).status, 404);
      } finally {
        await custom.close();
      }
      const off = await startServer({ port: 0, dataDir, logLevel: 'silent', config: { extra: { 'admin.enableServer': 'false', 'admin.serverPort': '0' } } });
      assert.equal(off.admin.commands, null);
      await off.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
