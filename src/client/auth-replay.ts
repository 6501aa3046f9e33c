// The session's authentication entries (addAuth), kept for replay: ZooKeeper binds auth to the
// connection, not the session, so every reconnect must send them again before any request. Each
// entry remembers the callers still waiting for the server's answer; those waits survive a lost
// connection and are answered by the replay. Auth replies (xid -4) come back in the order sent.

import { limits } from '../util/index.js';

export interface AuthEntry<T> {
  scheme: string;
  auth: Uint8Array;
  waiters: T[];
}

export class AuthReplay<T> {
  private readonly entries: AuthEntry<T>[] = [];
  /** Entries sent on the current connection and not yet answered, oldest first. */
  private inFlight: AuthEntry<T>[] = [];

  /** Records an auth (once per scheme and bytes) with a waiter; undefined past the entry bound. */
  add(scheme: string, auth: Uint8Array, waiter: T): AuthEntry<T> | undefined {
    let entry = this.entries.find((existing) => existing.scheme === scheme && Buffer.from(existing.auth).equals(auth));
    if (entry === undefined) {
      if (this.entries.length >= limits.sessionAuthEntriesMax) return undefined;
      entry = { scheme, auth, waiters: [] };
      this.entries.push(entry);
    }
    entry.waiters.push(waiter);
    return entry;
  }

  get all(): readonly AuthEntry<T>[] {
    return this.entries;
  }

  sent(entry: AuthEntry<T>): void {
    this.inFlight.push(entry);
  }

  /** The server answered the oldest auth sent on this connection: the waiters to answer. */
  answered(): T[] {
    return this.inFlight.shift()?.waiters.splice(0) ?? [];
  }

  connectionLost(): void {
    this.inFlight = [];
  }

  /** The session ended: every waiter still waiting; everything is forgotten. */
  drain(): T[] {
    this.inFlight = [];
    return this.entries.splice(0).flatMap((entry) => entry.waiters);
  }
}
