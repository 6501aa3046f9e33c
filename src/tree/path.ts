// Znode paths: validation with ZooKeeper's PathUtils rules, and parent/name helpers.

import { limits } from '../util/index.js';

/**
 * The UTF-16 code units ZooKeeper refuses in a name, bounds included: the C0 controls but NUL (which
 * has its own message), DEL and the C1 controls, the surrogates (so any character beyond the BMP, as
 * Java's chars are UTF-16 too) and the private use area, and U+FFF0–U+FFFF (U+FFFD among them: what
 * a name's invalid UTF-8 decodes to).
 */
function invalidCharacter(code: number): boolean {
  return (
    (code > 0x00 && code <= 0x1f) || (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xd800 && code <= 0xf8ff) || (code >= 0xfff0 && code <= 0xffff)
  );
}

/**
 * Null when `path` is a valid znode path, else the reason (ZooKeeper's PathUtils.validatePath). A
 * sequential path is checked with a digit appended, as ZooKeeper does, so it may end in "/" or ".".
 */
export function validatePath(path: string, sequential = false): string | null {
  return sequential ? pathProblem(`${path}1`) : pathProblem(path);
}

function pathProblem(path: string): string | null {
  if (path.length === 0) return 'path length must be > 0';
  if (path.length > limits.pathLengthMax) return `path longer than ${limits.pathLengthMax}`;
  if (path[0] !== '/') return 'path must start with / character';
  if (path.length === 1) return null;
  if (path.endsWith('/')) return 'path must not end with / character';
  let previous = '/';
  for (let i = 1; i < path.length; i++) {
    const char = path[i]!;
    const code = path.charCodeAt(i);
    if (code === 0) return `null character not allowed @${i}`;
    if (char === '/' && previous === '/') return `empty node name specified @${i}`;
    if (char === '.' && previous === '.') {
      if (path[i - 2] === '/' && (i + 1 === path.length || path[i + 1] === '/')) return `relative paths not allowed @${i}`;
    } else if (char === '.') {
      if (previous === '/' && (i + 1 === path.length || path[i + 1] === '/')) return `relative paths not allowed @${i}`;
    } else if (invalidCharacter(code)) {
      return `invalid character @${i}`;
    }
    previous = char;
  }
  return null;
}

/** The parent of a path: '/' for top-level nodes, '' for the root itself. */
export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash <= 0) return path === '/' ? '' : '/';
  return path.slice(0, slash);
}

/** The last component of a path ('' for the root). */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Nodes clients may not delete: the root and ZooKeeper's system nodes. */
const specialPaths: ReadonlySet<string> = new Set(['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']);

export function isSpecialPath(path: string): boolean {
  return specialPaths.has(path);
}
