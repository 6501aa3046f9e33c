// The shell's commands, zkCli's names and options, each a small function over ZooKeeperClient.
// A command writes its result to `out`, its failure to `err`, and returns an exit status:
// 0 ok, 1 ZooKeeper said no (or the connection failed), 2 the command was mistyped.

import type { Writable } from 'node:stream';
import { NoNodeError, type CreateModeName, type PersistentWatchMode, type Watcher, type WatcherTypeName, type ZooKeeperClient } from '../../client/index.js';
import { describeError, formatAcl, formatList, formatStat, parseAcl } from './format.js';
import { ShellUsageError, integerValue, parseArguments, tokenize, type OptionSpec, type ParsedArguments } from './parse.js';

export const exitOk = 0;
export const exitZooKeeperError = 1;
export const exitUsageError = 2;

/** What a command may use: the client, where to print, and the shell's own state. */
export interface CommandContext {
  client: ZooKeeperClient;
  out: Writable;
  err: Writable;
  /** Given to every -w / addWatch registration; prints events in interactive mode. */
  watcher: Watcher;
  /** Every command line run so far, oldest first. */
  history: readonly string[];
  /** Set by quit. */
  quit: () => void;
}

interface CommandDefinition {
  usage: string;
  options: OptionSpec;
  /** Positional words: at least min, at most max. */
  arity: [min: number, max: number];
  run: (context: CommandContext, args: ParsedArguments) => Promise<void> | void;
}

const decoder = new TextDecoder();
const print = (context: CommandContext, text: string): void => {
  context.out.write(text.endsWith('\n') ? text : `${text}\n`);
};
const pathOf = (args: ParsedArguments): string => args.positional[0]!;

async function listRecursive(context: CommandContext, root: string): Promise<void> {
  // Breadth-first like zkCli's ZKUtil.listSubTreeBFS; bounded by the tree itself.
  const queue = [root];
  for (let index = 0; index < queue.length; index += 1) {
    const path = queue[index]!;
    print(context, path);
    const { children } = await context.client.getChildren(path);
    for (const child of children.sort()) queue.push(path === '/' ? `/${child}` : `${path}/${child}`);
  }
}

async function deleteAll(client: ZooKeeperClient, path: string): Promise<void> {
  // Depth-first, children before parents; a node deleted meanwhile by someone else is fine.
  const { children } = await client.getChildren(path);
  for (const child of children) await deleteAll(client, path === '/' ? `/${child}` : `${path}/${child}`);
  await client.delete(path).catch((error: unknown) => {
    if (!(error instanceof NoNodeError)) throw error;
  });
}

function createMode(args: ParsedArguments): CreateModeName {
  const ephemeral = args.flags.has('e');
  const sequential = args.flags.has('s');
  const ttl = args.values.has('t');
  if (args.flags.has('c')) {
    if (ephemeral || sequential || ttl) throw new ShellUsageError('-c cannot be combined with -e, -s or -t');
    return 'container';
  }
  if (ttl) {
    if (ephemeral) throw new ShellUsageError('TTLs cannot be used with ephemeral nodes');
    return sequential ? 'persistentSequentialWithTtl' : 'persistentWithTtl';
  }
  if (ephemeral) return sequential ? 'ephemeralSequential' : 'ephemeral';
  return sequential ? 'persistentSequential' : 'persistent';
}

function removeWatchesType(args: ParsedArguments): WatcherTypeName {
  if (args.flags.has('c')) return 'children';
  if (args.flags.has('d')) return 'data';
  if (args.flags.has('p')) return 'persistent';
  if (args.flags.has('r')) return 'persistentRecursive';
  return 'any';
}

const readCommands: Record<string, CommandDefinition> = {
  ls: {
    usage: 'ls [-s] [-w] [-R] path',
    options: { flags: ['s', 'w', 'R'] },
    arity: [1, 1],
    async run(context, args) {
      if (args.flags.has('R')) return listRecursive(context, pathOf(args));
      const watch = args.flags.has('w') ? context.watcher : undefined;
      const { children, stat } = await context.client.getChildren(pathOf(args), { watch });
      print(context, formatList(children.sort()));
      if (args.flags.has('s')) print(context, formatStat(stat));
    },
  },
  get: {
    usage: 'get [-s] [-w] path',
    options: { flags: ['s', 'w'] },
    arity: [1, 1],
    async run(context, args) {
      const watch = args.flags.has('w') ? context.watcher : undefined;
      const { data, stat } = await context.client.getData(pathOf(args), { watch });
      // As zkCli: a node with no data (null, not empty) prints "null".
      print(context, data === null ? 'null' : decoder.decode(data));
      if (args.flags.has('s')) print(context, formatStat(stat));
    },
  },
  stat: {
    usage: 'stat [-w] path',
    options: { flags: ['w'] },
    arity: [1, 1],
    async run(context, args) {
      const watch = args.flags.has('w') ? context.watcher : undefined;
      const stat = await context.client.exists(pathOf(args), { watch });
      if (stat === null) throw new NoNodeError({ path: pathOf(args) });
      print(context, formatStat(stat));
    },
  },
  getAcl: {
    usage: 'getAcl [-s] path',
    options: { flags: ['s'] },
    arity: [1, 1],
    async run(context, args) {
      const { acl, stat } = await context.client.getACL(pathOf(args));
      context.out.write(formatAcl(acl));
      if (args.flags.has('s')) print(context, formatStat(stat));
    },
  },
  getEphemerals: {
    usage: 'getEphemerals path',
    options: {},
    arity: [0, 1],
    async run(context, args) {
      print(context, formatList((await context.client.getEphemerals(args.positional[0] ?? '/')).sort()));
    },
  },
  getAllChildrenNumber: {
    usage: 'getAllChildrenNumber path',
    options: {},
    arity: [1, 1],
    async run(context, args) {
      print(context, String(await context.client.getAllChildrenNumber(pathOf(args))));
    },
  },
  whoami: {
    usage: 'whoami',
    options: {},
    arity: [0, 0],
    async run(context) {
      print(context, 'Auth scheme: User');
      for (const entry of await context.client.whoAmI()) print(context, `${entry.scheme}: ${entry.user}`);
    },
  },
  config: {
    usage: 'config [-s]',
    options: { flags: ['s', 'c', 'w'] },
    arity: [0, 0],
    async run(context, args) {
      // zkCli's getConfig reads /zookeeper/config; a server without dynamic configuration has none
      // (or leaves it empty), which we say plainly instead of printing a blank line.
      const { data, stat } = await context.client.getData('/zookeeper/config').catch((error: unknown) => {
        if (error instanceof NoNodeError) return { data: new Uint8Array(), stat: null };
        throw error;
      });
      if (data === null || data.length === 0) throw new NotSupportedError('config is not supported by this server (it has no dynamic configuration in /zookeeper/config)');
      print(context, decoder.decode(data));
      if (args.flags.has('s') && stat !== null) print(context, formatStat(stat));
    },
  },
};

/** The server (or this shell) does not offer the feature: exit status 1, like a ZooKeeper error. */
export class NotSupportedError extends Error {
  override name = 'NotSupportedError';
}

const writeCommands: Record<string, CommandDefinition> = {
  create: {
    usage: 'create [-s] [-e] [-c] [-t ttl] path [data] [acl]',
    options: { flags: ['s', 'e', 'c'], valued: ['t'] },
    arity: [1, 3],
    async run(context, args) {
      const acl = args.positional[2] === undefined ? undefined : parseAcl(args.positional[2]);
      if (typeof acl === 'string') throw new ShellUsageError(acl);
      // As zkCli: a create without data makes a node with no data (null), which `get` prints as "null".
      const created = await context.client.create(pathOf(args), args.positional[1] ?? null, {
        mode: createMode(args), acl, ttlMs: integerValue(args, 't'),
      });
      print(context, `Created ${created.path}`);
    },
  },
  set: {
    usage: 'set [-s] [-v version] path data',
    options: { flags: ['s'], valued: ['v'] },
    arity: [2, 2],
    async run(context, args) {
      const stat = await context.client.setData(pathOf(args), args.positional[1]!, { version: integerValue(args, 'v') ?? -1 });
      if (args.flags.has('s')) print(context, formatStat(stat));
    },
  },
  delete: {
    usage: 'delete [-v version] path',
    options: { valued: ['v'] },
    arity: [1, 1],
    async run(context, args) {
      await context.client.delete(pathOf(args), { version: integerValue(args, 'v') ?? -1 });
    },
  },
  deleteall: {
    usage: 'deleteall path',
    options: { valued: ['b'] },
    arity: [1, 1],
    run: (context, args) => deleteAll(context.client, pathOf(args)),
  },
  setAcl: {
    usage: 'setAcl [-s] [-v version] [-R] path acl',
    options: { flags: ['s', 'R'], valued: ['v'] },
    arity: [2, 2],
    async run(context, args) {
      const acl = parseAcl(args.positional[1]!);
      if (typeof acl === 'string') throw new ShellUsageError(acl);
      const version = integerValue(args, 'v') ?? -1;
      const paths = [pathOf(args)];
      for (let index = 0; args.flags.has('R') && index < paths.length; index += 1) {
        const parent = paths[index]!;
        const { children } = await context.client.getChildren(parent);
        paths.push(...children.map((child) => (parent === '/' ? `/${child}` : `${parent}/${child}`)));
      }
      for (const path of paths) {
        const stat = await context.client.setACL(path, acl, { version: path === pathOf(args) ? version : -1 });
        if (args.flags.has('s') && path === pathOf(args)) print(context, formatStat(stat));
      }
    },
  },
  addauth: {
    usage: 'addauth scheme auth',
    options: {},
    arity: [2, 2],
    run: (context, args) => context.client.addAuth(args.positional[0]!, args.positional[1]!),
  },
  sync: {
    usage: 'sync path',
    options: {},
    arity: [1, 1],
    async run(context, args) {
      await context.client.sync(pathOf(args));
      print(context, 'Sync is OK');
    },
  },
  addWatch: {
    usage: 'addWatch [-m mode] path  # mode: PERSISTENT or PERSISTENT_RECURSIVE (default)',
    options: { valued: ['m'] },
    arity: [1, 1],
    async run(context, args) {
      const modes: Record<string, PersistentWatchMode> = { persistent: 'persistent', persistent_recursive: 'persistentRecursive' };
      const mode = modes[(args.values.get('m') ?? 'persistent_recursive').toLowerCase()];
      if (mode === undefined) throw new ShellUsageError(`unknown watch mode "${args.values.get('m')}"`);
      await context.client.addWatch(pathOf(args), context.watcher, { mode });
    },
  },
  removewatches: {
    usage: 'removewatches path [-c|-d|-p|-r|-a] [-l]',
    options: { flags: ['c', 'd', 'p', 'r', 'a', 'l'] },
    arity: [1, 1],
    run: (context, args) => context.client.removeWatches(pathOf(args), removeWatchesType(args), { local: args.flags.has('l') }),
  },
  reconfig: {
    usage: 'reconfig',
    options: {},
    arity: [0, 100],
    run() {
      throw new NotSupportedError('reconfig is not supported: Meerkat\'s client and shell have no dynamic reconfiguration');
    },
  },
};

const shellCommands: Record<string, CommandDefinition> = {
  history: {
    usage: 'history',
    options: {},
    arity: [0, 0],
    run(context) {
      context.history.forEach((line, index) => print(context, `${index} - ${line}`));
    },
  },
  quit: { usage: 'quit', options: {}, arity: [0, 0], run: (context) => context.quit() },
  help: {
    usage: 'help',
    options: {},
    arity: [0, 0],
    run(context) {
      print(context, 'ZooKeeper -server host:port cmd args');
      for (const name of commandNames) print(context, `\t${commands[name]!.usage}`);
    },
  },
};

const commands: Record<string, CommandDefinition> = { ...readCommands, ...writeCommands, ...shellCommands };

/** Every command the shell knows, for help and tab completion. */
export const commandNames: readonly string[] = Object.keys(commands).sort((a, b) => a.localeCompare(b));

/** Runs one command line; never throws. Returns its exit status. */
export async function runCommandLine(context: CommandContext, line: string): Promise<number> {
  let words: string[];
  try {
    words = tokenize(line);
  } catch (error) {
    context.err.write(`${(error as Error).message}\n`);
    return exitUsageError;
  }
  if (words.length === 0) return exitOk;
  const definition = Object.hasOwn(commands, words[0]!) ? commands[words[0]!] : undefined;
  if (definition === undefined) {
    context.err.write(`Command not found: ${words[0]} (type help for the list)\n`);
    return exitUsageError;
  }
  try {
    const args = parseArguments(words.slice(1), definition.options);
    const [min, max] = definition.arity;
    if (args.positional.length < min || args.positional.length > max) throw new ShellUsageError('wrong number of arguments');
    await definition.run(context, args);
    return exitOk;
  } catch (error) {
    if (error instanceof ShellUsageError) {
      context.err.write(`${error.message}\nUsage: ${definition.usage}\n`);
      return exitUsageError;
    }
    context.err.write(`${describeError(error)}\n`);
    return exitZooKeeperError;
  }
}
