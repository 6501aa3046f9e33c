// ACL checks with ZooKeeper's authentication schemes: world, auth (expanded at create time), digest
// (`user:base64(sha1(user:password))`), ip (address or network with /bits, IPv4 and IPv6), and the
// super user. Deterministic: hashing uses node:crypto, which has no I/O.

import { createHash } from 'node:crypto';
import type { Acl, Id } from '../proto/index.js';

export const openAclUnsafe: readonly Acl[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
export const readAclUnsafe: readonly Acl[] = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];
export const creatorAllAcl: readonly Acl[] = [{ perms: 31, id: { scheme: 'auth', id: '' } }];

/** The digest id ZooKeeper stores for a user and password. */
export function digestFor(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

function parseIpv4(address: string): number[] | null {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return null;
  return parts.map(Number);
}

function parseIpv6(address: string): number[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (text: string): string[] => (text === '' ? [] : text.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return null;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return null;
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

/** An IPv4 or IPv6 address as bytes, or null if it is neither. */
function parseIp(address: string): number[] | null {
  return address.includes(':') ? parseIpv6(address) : parseIpv4(address);
}

/** Whether `address` falls in the ACL id `pattern` (an address, or address/bits). */
export function ipMatches(pattern: string, address: string): boolean {
  const [base = '', bitsText] = pattern.split('/');
  const network = parseIp(base);
  const candidate = parseIp(address);
  if (network === null || candidate === null || network.length !== candidate.length) return false;
  const bits = bitsText === undefined ? network.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > network.length * 8) return false;
  for (let i = 0; i < network.length; i++) {
    const maskBits = Math.max(0, Math.min(8, bits - i * 8));
    const mask = (0xff << (8 - maskBits)) & 0xff;
    if ((network[i]! & mask) !== (candidate[i]! & mask)) return false;
  }
  return true;
}

function validIpId(id: string): boolean {
  const [base = '', bitsText, extra] = id.split('/');
  if (extra !== undefined) return false;
  const parts = parseIp(base);
  if (parts === null) return false;
  if (bitsText === undefined) return true;
  const bits = Number(bitsText);
  return /^\d+$/.test(bitsText) && bits <= parts.length * 8;
}

function idMatches(aclId: Id, authId: Id): boolean {
  if (aclId.scheme !== authId.scheme) return false;
  if (aclId.scheme === 'ip') return ipMatches(aclId.id, authId.id);
  return aclId.id === authId.id;
}

export interface PermissionCheck {
  acl: readonly Acl[];
  perm: number;
  authIds: readonly Id[];
  /** The configured superDigest; a session authenticated as it may do anything. */
  superDigest: string | null;
}

/** True if some ACL entry grants any bit of `perm` to one of the session's ids (ZooKeeper's checkACL). */
export function checkPermission(check: PermissionCheck): boolean {
  const { acl, perm, authIds, superDigest } = check;
  for (const id of authIds) {
    if (id.scheme === 'super') return true;
    if (superDigest !== null && id.scheme === 'digest' && id.id === superDigest) return true;
  }
  if (acl.length === 0) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    if (entry.id.scheme === 'world' && entry.id.id === 'anyone') return true;
    for (const id of authIds) if (idMatches(entry.id, id)) return true;
  }
  return false;
}

/**
 * Validates an ACL list for create/setACL and expands the `auth` scheme to the session's
 * authenticated ids, as ZooKeeper's fixupACL: an empty list, an unknown scheme, a malformed id, or
 * `auth` with no authenticated id make the whole list invalid.
 */
export function fixupAcl(acl: readonly Acl[], authIds: readonly Id[]): { acl: Acl[] } | { error: 'invalidAcl' } {
  if (acl.length === 0) return { error: 'invalidAcl' };
  const fixed: Acl[] = [];
  for (const entry of acl) {
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') {
      fixed.push(entry);
    } else if (scheme === 'auth') {
      const usable = authIds.filter((authId) => authId.scheme !== 'ip' && authId.scheme !== 'super');
      if (usable.length === 0) return { error: 'invalidAcl' };
      for (const authId of usable) fixed.push({ perms: entry.perms, id: { scheme: authId.scheme, id: authId.id } });
    } else if (scheme === 'digest') {
      if (id.split(':').length !== 2) return { error: 'invalidAcl' };
      fixed.push(entry);
    } else if (scheme === 'ip') {
      if (!validIpId(id)) return { error: 'invalidAcl' };
      fixed.push(entry);
    } else {
      return { error: 'invalidAcl' };
    }
  }
  return { acl: dedupe(fixed) };
}

function dedupe(acl: Acl[]): Acl[] {
  const seen = new Set<string>();
  return acl.filter((entry) => {
    const key = `${entry.perms}|${entry.id.scheme}|${entry.id.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
