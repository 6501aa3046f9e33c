// `meerkat log <file>`, `meerkat snapshot <file>` and `meerkat purge`: read ZooKeeper-format data files
// the way ZooKeeper's TxnLogToolkit and SnapshotFormatter do (readable text, or --json), and apply
// the retention policy by hand.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { opCodeNames } from '../proto/index.js';
import { NodeFileSystem } from '../runtime/node-file-system.js';
import { loadSnapshot, parseLogFile, purge } from '../storage/index.js';
import { DataTree } from '../tree/index.js';

const hex = (value: number | bigint): string => `0x${(typeof value === 'bigint' ? BigInt.asUintN(64, value) : value).toString(16)}`;

/** JSON with bigints as hex strings and bytes as UTF-8 text (or base64 when not text). */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'bigint') return hex(item);
    if (item instanceof Uint8Array) {
      const text = Buffer.from(item).toString('utf8');
      return /^[\x20-\x7e\t\n]*$/.test(text) ? text : { base64: Buffer.from(item).toString('base64') };
    }
    return item;
  });
}

function printLog(file: string, json: boolean): void {
  const contents = parseLogFile(file, readFileSync(file));
  for (const { header, txn, offset } of contents.entries) {
    if (json) {
      console.log(toJson({ offset, header, txn }));
      continue;
    }
    const time = new Date(header.time).toISOString();
    const type = opCodeNames.get(header.type) ?? String(header.type);
    const detail = 'path' in txn ? ` ${txn.path}` : txn.type === 14 ? ` (${txn.txns.length} ops)` : '';
    console.log(`${time} session ${hex(header.sessionId)} cxid ${hex(header.cxid)} zxid ${hex(header.zxid)} ${type}${detail}`);
  }
  const summary = { file, txns: contents.entries.length, tornTail: contents.tornTail, corruption: contents.corruption };
  console.log(json ? toJson({ summary }) : `EOF reached after ${summary.txns} txns.` +
    (summary.tornTail ? ` Torn tail at byte ${summary.tornTail.offset} (${summary.tornTail.reason}).` : '') +
    (summary.corruption ? ` CORRUPT at byte ${summary.corruption.offset} (${summary.corruption.reason}).` : ''));
  if (contents.corruption !== null) process.exitCode = 2;
}

function printSnapshot(file: string, json: boolean): void {
  const tree = new DataTree({ withSystemNodes: false });
  const loaded = loadSnapshot(file, readFileSync(file), tree as DataTree<unknown>);
  for (const [path, node] of tree.entries()) {
    if (json) {
      console.log(toJson({ path, data: node.data, acl: node.acl, stat: tree.statOf(node) }));
      continue;
    }
    const stat = tree.statOf(node);
    console.log(`${path}\n  czxid ${hex(stat.czxid)} mzxid ${hex(stat.mzxid)} pzxid ${hex(stat.pzxid)} ` +
      `version ${stat.version} cversion ${stat.cversion} aversion ${stat.aversion} ` +
      `ephemeralOwner ${hex(node.ephemeralOwner)} dataLength ${stat.dataLength}`);
  }
  const sessions = [...loaded.sessions].map(([id, timeout]) => ({ id: hex(id), timeout }));
  if (json) console.log(toJson({ summary: { file, nodes: loaded.nodeCount, sessions } }));
  else console.log(`Session Details (sid, timeout):\n${sessions.map((s) => `${s.id}, ${s.timeout}`).join('\n')}\n${loaded.nodeCount} nodes`);
}

export function registerDataToolsCommands(program: Command): void {
  program
    .command('log <file>')
    .description('print a txn log file (ZooKeeper format) readably')
    .option('--json', 'one JSON object per txn')
    .action((file: string, flags: { json?: boolean }) => printLog(file, flags.json === true));
  program
    .command('snapshot <file>')
    .description('print a snapshot file (ZooKeeper format) readably')
    .option('--json', 'one JSON object per node')
    .action((file: string, flags: { json?: boolean }) => printSnapshot(file, flags.json === true));
  program
    .command('purge')
    .description('delete old snapshots and the logs only they needed')
    .requiredOption('--data-dir <dir>', 'data directory')
    .option('--data-log-dir <dir>', 'txn log directory (default: the data directory)')
    .option('--count <n>', 'snapshots to keep (at least 3, as ZooKeeper)', '3')
    .action(async (flags: { dataDir: string; dataLogDir?: string; count: string }) => {
      const retainSnapshots = Math.max(3, Number(flags.count));
      const result = await purge(new NodeFileSystem(), { dataDir: flags.dataDir, dataLogDir: flags.dataLogDir ?? flags.dataDir, retainSnapshots });
      console.log(result.removed.length === 0 ? 'nothing to purge' : result.removed.map((path) => `removed ${path}`).join('\n'));
    });
}
