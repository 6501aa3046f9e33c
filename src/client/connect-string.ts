// Connection strings and paths on the client side: parsing `h1:2181,h2:2181/app` into hosts and a
// chroot, shuffling the host order (so many clients spread over an ensemble), validating paths
// before they go on the wire, and moving paths in and out of the chroot.
//
// The chroot is a path prefix the client adds to every path it sends and removes from every path it
// receives, so an application sees its own subtree as "/". '' means no chroot.

import { BadArgumentsError } from './errors.js';

export interface HostAddress {
  host: string;
  port: number;
}

export interface ParsedConnectString {
  hosts: HostAddress[];
  /** '' when the string names no chroot (or names "/"). */
  chroot: string;
}

export const defaultClientPort = 2181;

function parseHost(entry: string): HostAddress {
  // [v6 address]:port, or host:port, or a bare host.
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed !== null) return { host: bracketed[1]!, port: parsePort(bracketed[2], entry) };
  const colon = entry.lastIndexOf(':');
  if (colon === -1) return { host: entry, port: defaultClientPort };
  return { host: entry.slice(0, colon), port: parsePort(entry.slice(colon + 1), entry) };
}

function parsePort(text: string | undefined, entry: string): number {
  if (text === undefined) return defaultClientPort;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65_535) {
    throw new BadArgumentsError({ cause: new Error(`bad port in "${entry}"`) });
  }
  return port;
}

/** Parses `host[:port][,host[:port]...][/chroot]`. Throws BadArgumentsError on malformed input. */
export function parseConnectString(connectString: string): ParsedConnectString {
  const slash = connectString.indexOf('/');
  const hostPart = slash === -1 ? connectString : connectString.slice(0, slash);
  const chrootPart = slash === -1 ? '' : connectString.slice(slash);
  const entries = hostPart.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new BadArgumentsError({ cause: new Error(`no hosts in "${connectString}"`) });
  const hosts = entries.map(parseHost);
  if (hosts.some((address) => address.host.length === 0)) {
    throw new BadArgumentsError({ cause: new Error(`empty host name in "${connectString}"`) });
  }
  if (chrootPart === '' || chrootPart === '/') return { hosts, chroot: '' };
  validatePath(chrootPart);
  return { hosts, chroot: chrootPart };
}

/** Fisher-Yates with an injected random source in [0, 1), so tests can fix the order. */
export function shuffleHosts(hosts: readonly HostAddress[], random: () => number): HostAddress[] {
  const shuffled = [...hosts];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
  }
  return shuffled;
}

/**
 * ZooKeeper's path rules (PathUtils.validatePath): absolute, no empty, "." or ".." segments, no
 * trailing slash (except that a sequential create may end in "/"), no control or reserved characters.
 */
export function validatePath(path: string, options: { sequential?: boolean } = {}): void {
  const reject = (why: string): never => {
    throw new BadArgumentsError({ path, cause: new Error(`invalid path: ${why}`) });
  };
  if (typeof path !== 'string' || path.length === 0) reject('empty');
  if (path[0] !== '/') reject('must start with /');
  if (path.length === 1) return;
  const checked = options.sequential === true && path.endsWith('/') ? path.slice(0, -1) : path;
  if (checked.endsWith('/')) reject('must not end with /');
  for (const segment of checked.slice(1).split('/')) {
    if (segment.length === 0) reject('empty segment');
    if (segment === '.' || segment === '..') reject('relative segment');
  }
  // Characters ZooKeeper refuses: NUL, other control characters, and a few reserved ranges.
  if (/[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]/.test(checked)) reject('invalid character');
}

/** The server-side path for a client path. */
export function prependChroot(chroot: string, path: string): string {
  if (chroot === '') return path;
  return path === '/' ? chroot : chroot + path;
}

/** The client-side path for a server path; a path outside the chroot is returned unchanged. */
export function stripChroot(chroot: string, serverPath: string): string {
  if (chroot === '') return serverPath;
  if (serverPath === chroot) return '/';
  return serverPath.startsWith(chroot + '/') ? serverPath.slice(chroot.length) : serverPath;
}

/** True when a server path lies in the chroot (always true without one). */
export function isInChroot(chroot: string, serverPath: string): boolean {
  return chroot === '' || serverPath === chroot || serverPath.startsWith(chroot + '/');
}
