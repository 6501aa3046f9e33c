// The scripted session the differential test runs against Apache ZooKeeper and against Meerkat:
// two clients (a, b) exercising every operation, error code, watch kind, ACL scheme and node type.
// Each step is one request; steps are data so the script reads as a specification.

import { type Acl, CreateMode, type MultiWriteOp, OpCode, type Request } from '../../src/proto/index.js';

export type ClientName = 'a' | 'b';
export interface Step {
  on: ClientName;
  request: Request;
  /** Shown when results differ. */
  label: string;
}

const open: Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const readOnly: Acl[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (text: string): Uint8Array => Buffer.from(text);

const steps: Step[] = [];
function step(on: ClientName, label: string, request: Request): void {
  steps.push({ on, label, request });
}
/** `data: null` sends no data (a -1 length), as Java's create(path, null, ...) and kazoo's create(path) do. */
function create(on: ClientName, path: string, options: { data?: string | null; flags?: number; acl?: Acl[]; type?: 1 | 15 } = {}): void {
  step(on, `create ${JSON.stringify(path)} flags=${options.flags ?? 0}${options.data === null ? ' data=null' : ''}`, {
    type: options.type ?? OpCode.create, path, data: options.data === null ? null : bytes(options.data ?? ''), acl: options.acl ?? open,
    flags: options.flags ?? CreateMode.persistent,
  });
}
function getData(on: ClientName, path: string, watch = false): void {
  step(on, `getData ${JSON.stringify(path)} watch=${watch}`, { type: OpCode.getData, path, watch });
}
function exists(on: ClientName, path: string, watch = false): void {
  step(on, `exists ${JSON.stringify(path)} watch=${watch}`, { type: OpCode.exists, path, watch });
}
function getChildren2(on: ClientName, path: string, watch = false): void {
  step(on, `getChildren2 ${path} watch=${watch}`, { type: OpCode.getChildren2, path, watch });
}
function setData(on: ClientName, path: string, data: string | null, version = -1): void {
  step(on, `setData ${JSON.stringify(path)} v=${version}${data === null ? ' data=null' : ''}`, {
    type: OpCode.setData, path, data: data === null ? null : bytes(data), version,
  });
}
function remove(on: ClientName, path: string, version = -1): void {
  step(on, `delete ${path} v=${version}`, { type: OpCode.delete, path, version });
}
function auth(on: ClientName, credentials: string): void {
  step(on, `auth digest ${credentials}`, { type: OpCode.auth, authType: 0, scheme: 'digest', auth: bytes(credentials) });
}

// Basic CRUD, versions and errors.
create('a', '/d', { data: 'root' });
create('a', '/d', { data: 'again' });
create('a', '/d/c2', { data: 'x', type: OpCode.create2 });
create('a', '/missing/child');
getData('a', '/d');
setData('a', '/d', 'v1', 0);
setData('a', '/d', 'v2', 0);
setData('a', '/d', 'v2', 1);
remove('a', '/d/c2', 5);
getChildren2('a', '/d');
remove('a', '/d');
getData('a', '/');

// Sequential nodes of every kind share the parent's counter.
create('a', '/d/seq-', { flags: CreateMode.persistentSequential });
create('a', '/d/seq-', { flags: CreateMode.persistentSequential });
create('a', '/d/eseq-', { flags: CreateMode.ephemeralSequential });
remove('a', '/d/seq-0000000002');
create('a', '/d/seq-', { flags: CreateMode.persistentSequential });
getChildren2('a', '/d');

// Ephemerals cannot have children.
create('a', '/e', { flags: CreateMode.ephemeral });
create('a', '/e/child');
exists('a', '/e');

// One-shot watches: exists on a missing node, data, children; fired once.
exists('a', '/w', true);
create('b', '/w', { data: '0' });
getData('a', '/w', true);
setData('b', '/w', '1');
setData('b', '/w', '2');
getChildren2('a', '/w', true);
create('b', '/w/kid');
remove('b', '/w/kid');
getData('a', '/w', true);
remove('b', '/w');

// Invalid paths.
for (const path of ['rel', '/trailing/', '/a//b', '/a/./b', '/a/../b', '/bad\u0001char', '', '/']) create('a', path);
getData('a', 'rel');
getData('a', '/trailing/');
remove('a', '/trailing/');
setData('a', '/x/', 'v');
exists('a', '/a//b');

// Invalid ACLs.
create('a', '/acl-empty', { acl: [] });
create('a', '/acl-bogus', { acl: [{ perms: 31, id: { scheme: 'bogus', id: 'x' } }] });
create('a', '/acl-auth', { acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }] });
create('a', '/acl-digest', { acl: [{ perms: 31, id: { scheme: 'digest', id: 'nocolon' } }] });
create('a', '/acl-ip', { acl: [{ perms: 31, id: { scheme: 'ip', id: 'not-an-ip' } }] });

// Digest and ip ACLs, masking in getACL, setACL versions.
auth('b', 'alice:secret');
create('b', '/secret', { data: 's', acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }] });
getData('a', '/secret');
step('a', 'getACL /secret (no rights)', { type: OpCode.getACL, path: '/secret' });
step('b', 'getACL /secret (owner)', { type: OpCode.getACL, path: '/secret' });
setData('a', '/secret', 'x');
create('a', '/secret/x');
step('b', 'setACL /secret bad version', { type: OpCode.setACL, path: '/secret', acl: readOnly, version: 7 });
step('b', 'setACL /secret read-only', { type: OpCode.setACL, path: '/secret', acl: [...readOnly, { perms: 31, id: { scheme: 'auth', id: '' } }], version: 0 });
getData('a', '/secret');
setData('a', '/secret', 'x');
step('a', 'getACL /secret (read)', { type: OpCode.getACL, path: '/secret' });
create('a', '/ip-ok', { acl: [{ perms: 31, id: { scheme: 'ip', id: '127.0.0.1' } }] });
getData('a', '/ip-ok');
create('a', '/ip-net', { acl: [{ perms: 31, id: { scheme: 'ip', id: '127.0.0.0/8' } }] });
getData('a', '/ip-net');
create('a', '/ip-other', { acl: [{ perms: 31, id: { scheme: 'ip', id: '10.0.0.0/8' } }] });
getData('a', '/ip-other');
remove('a', '/ip-other');

// The order of prep's checks (PrepRequestProcessor): each request below fails two checks, and the
// error is the one ZooKeeper checks first. b (alice) owns parents that deny one permission to others.
const worldWithout = (perm: number): Acl[] => [
  { perms: 31 & ~perm, id: { scheme: 'world', id: 'anyone' } }, { perms: 31, id: { scheme: 'auth', id: '' } },
];
create('b', '/order');
create('b', '/order/nodelete', { acl: worldWithout(8) });
create('b', '/order/nodelete/kid');
create('b', '/order/nocreate', { acl: worldWithout(4) });
create('b', '/order/nocreate/kid');
create('b', '/order/nowrite', { acl: worldWithout(2) });
create('b', '/order/noadmin', { acl: worldWithout(16) });
create('b', '/order/noread', { acl: worldWithout(1) });
// delete: the parent's DELETE permission, then the node, its version, its children.
remove('a', '/order/nodelete/missing');
remove('a', '/order/nodelete/kid', 7);
remove('b', '/order/nodelete/missing');
remove('a', '/order/missing/child');
remove('a', '/order', 7);
remove('a', '/');
step('a', 'multi delete missing under no-delete parent', {
  type: OpCode.multi, ops: [{ type: OpCode.delete, path: '/order/nodelete/missing', version: -1 }],
});
// create: the ACL, then the parent, its CREATE permission, then the node.
create('a', '/order/nocreate/kid');
create('a', '/order/nocreate/kid', { acl: [] });
create('a', '/order/missing/child', { acl: [] });
create('a', '/order/missing/child', { flags: 99 });
create('a', '/order/nocreate/x', { flags: CreateMode.ephemeral });
// setData and check: the node, its permission, then the version.
setData('a', '/order/nowrite', 'x', 7);
setData('a', '/order/missing', 'x', 7);
step('a', 'multi check no-read node bad version', { type: OpCode.multi, ops: [{ type: OpCode.check, path: '/order/noread', version: 7 }] });
step('a', 'multi check missing node', { type: OpCode.multi, ops: [{ type: OpCode.check, path: '/order/missing', version: 7 }] });
// setACL: the new ACL first, then the node, its ADMIN permission, then the version.
step('a', 'setACL invalid ACL on a missing node', { type: OpCode.setACL, path: '/order/missing', acl: [], version: -1 });
step('a', 'setACL invalid ACL on a no-admin node', { type: OpCode.setACL, path: '/order/noadmin', acl: [], version: -1 });
step('a', 'setACL auth ACL without auth on a no-admin node', {
  type: OpCode.setACL, path: '/order/noadmin', acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], version: -1,
});
step('a', 'setACL no-admin node bad version', { type: OpCode.setACL, path: '/order/noadmin', acl: open, version: 7 });
step('a', 'setACL missing node bad version', { type: OpCode.setACL, path: '/order/missing', acl: open, version: 7 });
// deleteContainer is the reaper's: a client's is refused.
step('a', 'deleteContainer from a client', { type: OpCode.deleteContainer, path: '/order', version: -1 });
step('a', 'deleteContainer of a missing node from a client', { type: OpCode.deleteContainer, path: '/order/missing', version: -1 });

// multi: success, failure at each position, create2 and sequential inside.
step('a', 'multi ok', {
  type: OpCode.multi,
  ops: [
    { type: OpCode.create, path: '/m', data: bytes('1'), acl: open, flags: 0 },
    { type: OpCode.create2, path: '/m/q-', data: bytes(''), acl: open, flags: CreateMode.persistentSequential },
    { type: OpCode.setData, path: '/m', data: bytes('2'), version: 0 },
    { type: OpCode.check, path: '/m', version: 1 },
    { type: OpCode.create, path: '/m/tmp', data: bytes(''), acl: open, flags: 0 },
    { type: OpCode.delete, path: '/m/tmp', version: -1 },
  ],
});
step('a', 'multi fails in the middle', {
  type: OpCode.multi,
  ops: [
    { type: OpCode.create, path: '/m2', data: bytes(''), acl: open, flags: 0 },
    { type: OpCode.create, path: '/m', data: bytes(''), acl: open, flags: 0 },
    { type: OpCode.setData, path: '/m', data: bytes('3'), version: -1 },
  ],
});
exists('a', '/m2');
// Inside a multi the flags choose the create's type, whatever type the op has on the wire (ZooKeeper
// rebuilds each op from its flags): create and create2 answer with the path, containers and TTL nodes
// with path and stat (a create2 result); a createTTL op without TTL flags is a plain create.
const multiCreate = (type: 1 | 15 | 19, path: string, flags: number): Request => ({ type, path, data: bytes('x'), acl: open, flags });
const multiCreateTtl = (path: string, flags: number, ttl = 60_000): Request => ({ type: OpCode.createTTL, path, data: bytes('x'), acl: open, flags, ttl });
for (const [type, name] of [[OpCode.create, 'create'], [OpCode.create2, 'create2'], [OpCode.createContainer, 'createContainer']] as const) {
  for (const flags of [0, 1, 2, 3, 4, 7]) {
    step('a', `multi ${name} flags=${flags}`, { type: OpCode.multi, ops: [multiCreate(type, `/mc-${name}-${flags}`, flags) as MultiWriteOp] });
  }
  step('a', `multi ${name} with TTL flags`, {
    type: OpCode.multi, ops: [multiCreate(OpCode.create, '/mc-before', 0) as MultiWriteOp, multiCreate(type, `/mc-${name}-ttl`, CreateMode.persistentWithTtl) as MultiWriteOp],
  });
  exists('a', '/mc-before');
}
for (const flags of [0, 1, 2, 4, 5, 6, 7]) {
  step('a', `multi createTTL flags=${flags}`, { type: OpCode.multi, ops: [multiCreateTtl(`/mc-ttl-${flags}`, flags) as MultiWriteOp] });
}
step('a', 'multi createTTL zero ttl', { type: OpCode.multi, ops: [multiCreateTtl('/mc-ttl-zero', CreateMode.persistentWithTtl, 0) as MultiWriteOp] });
step('a', 'multi mixed creates', {
  type: OpCode.multi,
  ops: [multiCreate(OpCode.create2, '/mc-mixed', 0), multiCreate(OpCode.create, '/mc-mixed/c', CreateMode.container),
    multiCreateTtl('/mc-mixed/t-', CreateMode.persistentSequentialWithTtl), multiCreate(OpCode.createContainer, '/mc-mixed/e-', CreateMode.ephemeralSequential)] as MultiWriteOp[],
});
getChildren2('a', '/mc-mixed');
for (const path of ['/mc-create-4', '/mc-createContainer-0', '/mc-createContainer-1', '/mc-ttl-1']) exists('a', path);
step('a', 'multi check fails', {
  type: OpCode.multi,
  ops: [{ type: OpCode.check, path: '/m', version: 0 }, { type: OpCode.delete, path: '/m', version: -1 }],
});
step('a', 'multi empty', { type: OpCode.multi, ops: [] });
step('a', 'multiRead', {
  type: OpCode.multiRead,
  ops: [{ type: OpCode.getData, path: '/m', watch: false }, { type: OpCode.getChildren, path: '/nothing', watch: false },
    { type: OpCode.getChildren, path: '/m', watch: false }],
});
getData('a', '/m');

// Containers and TTL nodes.
step('a', 'createContainer /cont', { type: OpCode.createContainer, path: '/cont', data: bytes(''), acl: open, flags: CreateMode.container });
create('a', '/cont/child');
exists('a', '/cont');
step('a', 'createContainer with persistent flags', { type: OpCode.createContainer, path: '/cont2', data: bytes(''), acl: open, flags: 0 });
create('a', '/cont3', { flags: CreateMode.container });
step('a', 'createTTL', { type: OpCode.createTTL, path: '/ttl', data: bytes(''), acl: open, flags: CreateMode.persistentWithTtl, ttl: 100_000 });
step('a', 'createTTL sequential', { type: OpCode.createTTL, path: '/ttl-', data: bytes(''), acl: open, flags: CreateMode.persistentSequentialWithTtl, ttl: 5000 });
step('a', 'createTTL zero ttl', { type: OpCode.createTTL, path: '/ttl0', data: bytes(''), acl: open, flags: CreateMode.persistentWithTtl, ttl: 0 });
step('a', 'createTTL non-ttl flags', { type: OpCode.createTTL, path: '/ttl1', data: bytes(''), acl: open, flags: 0, ttl: 1000 });
create('a', '/ttl2', { flags: CreateMode.persistentWithTtl });
create('a', '/badflags', { flags: 99 });
exists('a', '/ttl');

// Persistent and persistent-recursive watches.
step('a', 'addWatch persistent /pw', { type: OpCode.addWatch, path: '/pw', mode: 0 });
create('b', '/pw', { data: '' });
setData('b', '/pw', 'x');
create('b', '/pw/c');
setData('b', '/pw/c', 'y');
remove('b', '/pw/c');
step('a', 'addWatch recursive /rw', { type: OpCode.addWatch, path: '/rw', mode: 1 });
create('b', '/rw');
create('b', '/rw/c');
create('b', '/rw/c/d');
setData('b', '/rw/c/d', 'z');
remove('b', '/rw/c/d');
step('a', 'addWatch bad mode', { type: OpCode.addWatch, path: '/pw', mode: 7 });

// removeWatches / checkWatches.
getData('a', '/pw', true);
step('a', 'checkWatches /pw data', { type: OpCode.checkWatches, path: '/pw', watcherType: 2 });
step('a', 'removeWatches /pw data', { type: OpCode.removeWatches, path: '/pw', watcherType: 2 });
step('a', 'removeWatches /pw data again', { type: OpCode.removeWatches, path: '/pw', watcherType: 2 });
step('a', 'checkWatches /nowhere any', { type: OpCode.checkWatches, path: '/nowhere', watcherType: 3 });
step('a', 'removeWatches /pw any', { type: OpCode.removeWatches, path: '/pw', watcherType: 3 });
setData('b', '/pw', 'after-remove');

// Session views and misc.
step('a', 'getEphemerals /', { type: OpCode.getEphemerals, prefixPath: '/' });
step('a', 'getEphemerals /d', { type: OpCode.getEphemerals, prefixPath: '/d' });
step('a', 'getAllChildrenNumber /', { type: OpCode.getAllChildrenNumber, path: '/' });
step('a', 'getAllChildrenNumber /d', { type: OpCode.getAllChildrenNumber, path: '/d' });
step('a', 'getAllChildrenNumber /missing', { type: OpCode.getAllChildrenNumber, path: '/missing' });
step('a', 'sync /d', { type: OpCode.sync, path: '/d' });
step('a', 'whoAmI', { type: OpCode.whoAmI });
step('b', 'whoAmI with digest', { type: OpCode.whoAmI });
step('a', 'reconfig', { type: OpCode.reconfig, joiningServers: null, leavingServers: null, newMembers: null, curConfigId: -1 });

// System nodes.
getChildren2('a', '/zookeeper');
getData('a', '/zookeeper/config');
getData('a', '/zookeeper/quota');
step('a', 'getACL /zookeeper', { type: OpCode.getACL, path: '/zookeeper' });
remove('a', '/zookeeper');
remove('a', '/zookeeper/quota');
create('a', '/zookeeper/mine');
setData('a', '/zookeeper', 'x');

// setWatches as after a reconnect: with relativeZxid 0, whatever exists has changed since.
step('a', 'setWatches', {
  type: OpCode.setWatches, relativeZxid: 0, dataWatches: ['/d', '/gone'], existWatches: ['/m', '/later'], childWatches: ['/d'],
  persistentWatches: [], persistentRecursiveWatches: [],
});
create('b', '/later');
step('a', 'setWatches2 persistent', {
  type: OpCode.setWatches2, relativeZxid: 0, dataWatches: [], existWatches: [], childWatches: [],
  persistentWatches: ['/sw'], persistentRecursiveWatches: ['/sr'],
});
create('b', '/sw');
create('b', '/sr');
create('b', '/sr/x');

// No data (null, a -1 length on the wire) is kept apart from empty data: getData answers null, the
// stat's dataLength is 0, through create, create2, setData, multi, multiRead, containers and TTL nodes.
create('a', '/nd', { data: null });
getData('a', '/nd');
exists('a', '/nd');
create('a', '/nd-empty', { data: '' });
getData('a', '/nd-empty');
create('a', '/nd/c2', { data: null, type: OpCode.create2 });
getData('a', '/nd/c2', true);
setData('b', '/nd/c2', 'some');
getData('a', '/nd/c2', true);
setData('b', '/nd/c2', null);
getData('a', '/nd/c2');
setData('a', '/nd-empty', null, 0);
getData('a', '/nd-empty');
setData('a', '/nd-empty', '', 1);
getData('a', '/nd-empty');
step('a', 'multi with null data', {
  type: OpCode.multi,
  ops: [
    { type: OpCode.create2, path: '/nd/m', data: null, acl: open, flags: 0 },
    { type: OpCode.create, path: '/nd/m-seq-', data: null, acl: open, flags: CreateMode.persistentSequential },
    { type: OpCode.setData, path: '/nd', data: null, version: 0 },
  ],
});
step('a', 'multiRead null and empty data', {
  type: OpCode.multiRead,
  ops: [{ type: OpCode.getData, path: '/nd/m', watch: false }, { type: OpCode.getData, path: '/nd-empty', watch: false },
    { type: OpCode.getData, path: '/nd', watch: false }],
});
step('a', 'createContainer null data', { type: OpCode.createContainer, path: '/nd-cont', data: null, acl: open, flags: CreateMode.container });
step('a', 'createTTL null data', { type: OpCode.createTTL, path: '/nd-ttl', data: null, acl: open, flags: CreateMode.persistentWithTtl, ttl: 60_000 });
getData('a', '/nd-ttl');
step('a', 'getChildren2 /nd', { type: OpCode.getChildren2, path: '/nd', watch: false });

// Path characters ZooKeeper refuses (PathUtils.validatePath, UTF-16 code units, bounds included):
// U+0001–U+001F, U+007F–U+009F, U+D800–U+F8FF (so any character beyond the BMP), U+FFF0–U+FFFF.
// Writes answer BADARGUMENTS; reads do not validate (NoNode), but exists refuses NUL.
create('a', '/pc');
const refused = ['\u001f', '\u007f', '\u0080', '\u009f', '\ud83d\ude00', '\ue000', '\uf8ff', '\ufff0', '\ufffd', '\uffff', '\u0001'];
for (const char of refused) create('a', `/pc/x${char}y`);
for (const char of ['\u00a0', '\uf900', '\uffef', '\u07ff', '~']) create('a', `/pc/ok${char}`);
step('a', 'getChildren2 /pc', { type: OpCode.getChildren2, path: '/pc', watch: false });
create('a', '/pc/seq\u007f-', { flags: CreateMode.persistentSequential });
create('a', '/pc/', { flags: CreateMode.persistentSequential });
create('a', '/pc/.', { flags: CreateMode.persistentSequential });
create('a', '/pc/..', { flags: CreateMode.ephemeralSequential });
step('a', 'createTTL bad character', { type: OpCode.createTTL, path: '/pc/t\u0085', data: bytes(''), acl: open, flags: CreateMode.persistentWithTtl, ttl: 1000 });
step('a', 'createContainer bad character', { type: OpCode.createContainer, path: '/pc/c\u009f', data: bytes(''), acl: open, flags: CreateMode.container });
for (const char of ['\u001f', '\u007f', '\ud800', '\uffff']) {
  const path = `/pc${char}`;
  setData('a', path, 'v');
  remove('a', path);
  step('a', `setACL ${JSON.stringify(path)}`, { type: OpCode.setACL, path, acl: open, version: -1 });
  getData('a', path);
  exists('a', path);
  step('a', `getChildren ${JSON.stringify(path)}`, { type: OpCode.getChildren, path, watch: true });
  step('a', `getACL ${JSON.stringify(path)}`, { type: OpCode.getACL, path });
  step('a', `getAllChildrenNumber ${JSON.stringify(path)}`, { type: OpCode.getAllChildrenNumber, path });
  step('a', `sync ${JSON.stringify(path)}`, { type: OpCode.sync, path });
  step('a', `addWatch ${JSON.stringify(path)}`, { type: OpCode.addWatch, path, mode: 0 });
  step('a', `checkWatches ${JSON.stringify(path)}`, { type: OpCode.checkWatches, path, watcherType: 3 });
  step('a', `removeWatches ${JSON.stringify(path)}`, { type: OpCode.removeWatches, path, watcherType: 3 });
  step('a', `multi check ${JSON.stringify(path)}`, {
    type: OpCode.multi, ops: [{ type: OpCode.check, path, version: -1 }, { type: OpCode.create, path: '/pc/never', data: bytes(''), acl: open, flags: 0 }],
  });
  step('a', `multi setData ${JSON.stringify(path)}`, { type: OpCode.multi, ops: [{ type: OpCode.setData, path, data: bytes(''), version: -1 }] });
  step('a', `multi create ${JSON.stringify(path)}`, { type: OpCode.multi, ops: [{ type: OpCode.create, path, data: bytes(''), acl: open, flags: 0 }] });
  step('a', `multi delete ${JSON.stringify(path)}`, { type: OpCode.multi, ops: [{ type: OpCode.delete, path, version: -1 }] });
  step('a', `multiRead ${JSON.stringify(path)}`, {
    type: OpCode.multiRead, ops: [{ type: OpCode.getData, path, watch: false }, { type: OpCode.getChildren, path, watch: false }],
  });
}
for (const path of ['/pc\u0000x', '/pc/ok~/..', 'pc', '/pc/']) {
  exists('a', path);
  getData('a', path);
  step('a', `sync ${JSON.stringify(path)}`, { type: OpCode.sync, path });
  step('a', `addWatch ${JSON.stringify(path)}`, { type: OpCode.addWatch, path, mode: 1 });
  step('a', `removeWatches ${JSON.stringify(path)}`, { type: OpCode.removeWatches, path, watcherType: 3 });
}
step('a', 'setWatches bad characters', {
  type: OpCode.setWatches, relativeZxid: 0, dataWatches: ['/pc\u001f'], existWatches: ['/pc\u007f'], childWatches: ['/pc\uffff'],
  persistentWatches: [], persistentRecursiveWatches: [],
});
step('a', 'setWatches2 bad characters', {
  type: OpCode.setWatches2, relativeZxid: 0, dataWatches: [], existWatches: ['/pc\u0085x'], childWatches: [],
  persistentWatches: ['/pc\ud83d\ude00'], persistentRecursiveWatches: ['/pc\u0001'],
});
create('b', '/pc\u0085x');
step('a', 'getEphemerals bad character', { type: OpCode.getEphemerals, prefixPath: '/pc\u001f' });

// TTL bounds: 1 ms to 2^40 - 1 ms (EphemeralType.TTL maxValue); anything else is BADARGUMENTS, in a
// multi too, even beyond 2^53.
const ttlCreate = (path: string, ttl: number): Request =>
  ({ type: OpCode.createTTL, path, data: bytes(''), acl: open, flags: CreateMode.persistentWithTtl, ttl });
for (const ttl of [1, 2 ** 40 - 1, 2 ** 40, 2 ** 48 - 1, 2 ** 48, 2 ** 60, -1, -(2 ** 60)]) {
  step('a', `createTTL ttl=${ttl}`, ttlCreate(`/ttl-bound-${ttl}`, ttl));
}
step('a', 'createTTL sequential beyond the bound', { ...ttlCreate('/ttl-bound-seq-', 2 ** 40), flags: CreateMode.persistentSequentialWithTtl } as Request);
step('a', 'multi createTTL beyond the bound', {
  type: OpCode.multi,
  ops: [{ type: OpCode.create, path: '/ttl-multi', data: bytes(''), acl: open, flags: 0 }, ttlCreate('/ttl-multi/t', 2 ** 40) as MultiWriteOp],
});
step('a', 'multi createTTL at the bound', { type: OpCode.multi, ops: [ttlCreate('/ttl-multi-ok', 2 ** 40 - 1) as MultiWriteOp] });
exists('a', '/ttl-multi');
exists('a', `/ttl-bound-${2 ** 40 - 1}`);

// b's ephemeral disappears when b's session closes (the runner closes b last and reads a's events).
create('b', '/b-eph', { flags: CreateMode.ephemeral });
exists('a', '/b-eph', true);

export const differentialScript: readonly Step[] = steps;
