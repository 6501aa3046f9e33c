// The ensemble part of a zoo.cfg (issue 16, item 6): `server.N` lines in ZooKeeper 3.5+'s syntax and
// the member's own id (the `myid` file in dataDir, or a `myid` key), parsed and checked. A bad
// ensemble configuration fails at start with one line naming what is wrong, before anything else.
//
//   server.N=host:quorumPort:electionPort[:participant|:observer][;[clientAddress:]clientPort]
//
// N is the member's id (1-255: it is the top byte of the session ids the member makes). IPv6 hosts
// are written in brackets ([::1]:2888:3888), as ZooKeeper's QuorumServer reads them.
//
// Meerkat does not run as a member yet: zoo-cfg.ts parses this to give a bad configuration its own
// error, then refuses a good one (a standalone start on it would diverge; see refuseEnsemble).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { EnsembleMember, EnsembleMembership as EnsembleConfig } from '../server/index.js';

export class EnsembleConfigError extends Error {
  override name = 'EnsembleConfigError';
}

/** A member as a `server.N` line gives it, and an ensemble as zoo.cfg lists it (the shapes live in server/config.ts). */
export type { EnsembleMember, EnsembleMembership as EnsembleConfig } from '../server/index.js';

const memberIdMax = 255;

function port(text: string, what: string, line: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new EnsembleConfigError(`${line}: ${what} "${text}" is not a port (1-65535)`);
  return Number(text);
}

/** `host:rest` with the host possibly in brackets (IPv6); returns the host and what follows its colon. */
function splitHost(text: string, line: string): { host: string; rest: string } {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || text[end + 1] !== ':') throw new EnsembleConfigError(`${line}: an IPv6 address must be [address]:port`);
    return { host: text.slice(1, end), rest: text.slice(end + 2) };
  }
  const colon = text.indexOf(':');
  if (colon <= 0) throw new EnsembleConfigError(`${line}: expected host:quorumPort:electionPort`);
  return { host: text.slice(0, colon), rest: text.slice(colon + 1) };
}

/** One `server.N=...` line. */
export function parseMember(key: string, value: string): EnsembleMember {
  const line = `${key}=${value}`;
  const id = Number(key.slice('server.'.length));
  if (!Number.isInteger(id) || id < 1 || id > memberIdMax) throw new EnsembleConfigError(`${line}: a member id must be 1-${memberIdMax}`);
  const [address = '', client] = value.split(';');
  const { host, rest } = splitHost(address.trim(), line);
  const parts = rest.split(':');
  if (parts.length < 2 || parts.length > 3) throw new EnsembleConfigError(`${line}: expected host:quorumPort:electionPort[:participant|:observer]`);
  const role = parts[2] ?? 'participant';
  if (role !== 'participant' && role !== 'observer') throw new EnsembleConfigError(`${line}: the role must be participant or observer, not "${role}"`);
  const member: EnsembleMember = {
    id, host, quorumPort: port(parts[0]!, 'quorum port', line), electionPort: port(parts[1]!, 'election port', line), role,
  };
  if (member.quorumPort === member.electionPort) throw new EnsembleConfigError(`${line}: the quorum and election ports must differ`);
  if (client !== undefined) {
    const text = client.trim();
    const colon = text.lastIndexOf(':');
    member.clientPort = port(colon < 0 ? text : text.slice(colon + 1), 'client port', line);
    if (colon > 0) member.clientAddress = text.slice(0, colon);
  }
  return member;
}

/** This server's id: a `myid` key in the zoo.cfg, else the `myid` file in dataDir, as ZooKeeper reads it. */
function readMyId(entries: ReadonlyMap<string, string>): number {
  let text = entries.get('myid');
  if (text === undefined) {
    const file = join(entries.get('dataDir') ?? '.', 'myid');
    if (!existsSync(file)) throw new EnsembleConfigError(`${file} is missing: an ensemble member needs its id there (one number, the N of its server.N line)`);
    text = readFileSync(file, 'utf8');
  }
  const id = Number(text.trim());
  if (!Number.isInteger(id) || id < 1 || id > memberIdMax) throw new EnsembleConfigError(`myid "${text.trim()}" is not a member id (1-${memberIdMax})`);
  return id;
}

/**
 * The ensemble a zoo.cfg describes, checked: every server.N line well formed, no two members on
 * one address and port, an odd number of voters (an even one tolerates no more failures than one
 * fewer, and ZooKeeper only warns), and this server's id among the members. null when the zoo.cfg
 * names no members.
 */
export function parseEnsembleConfig(entries: ReadonlyMap<string, string>): EnsembleConfig | null {
  const members = [...entries].filter(([key]) => key.startsWith('server.')).map(([key, value]) => parseMember(key, value));
  if (members.length === 0) return null;
  members.sort((a, b) => a.id - b.id);
  const endpoints = new Map<string, number>();
  for (const member of members) {
    for (const endpoint of [`${member.host}:${member.quorumPort}`, `${member.host}:${member.electionPort}`]) {
      const other = endpoints.get(endpoint);
      if (other !== undefined && other !== member.id) throw new EnsembleConfigError(`server.${other} and server.${member.id} both use ${endpoint}`);
      endpoints.set(endpoint, member.id);
    }
  }
  const voters = members.filter((member) => member.role === 'participant').length;
  if (voters % 2 === 0) {
    throw new EnsembleConfigError(`${voters} voting members: use an odd number (${voters} tolerate no more failures than ${voters - 1}; make one an observer)`);
  }
  const myId = readMyId(entries);
  if (!members.some((member) => member.id === myId)) {
    throw new EnsembleConfigError(`myid is ${myId}, but there is no server.${myId} line (members: ${members.map((member) => member.id).join(', ')})`);
  }
  return { members, myId };
}
