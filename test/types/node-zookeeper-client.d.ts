// Types for the parts of node-zookeeper-client (CommonJS, untyped) that Meerkat's tests use. Import
// it as a default: `import zookeeper from 'node-zookeeper-client'`.
declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  namespace zookeeper {
    interface Id {
      scheme: string;
      id: string;
    }
    interface ACL {
      permission: number;
      id: Id;
    }
    interface Stat {
      czxid: Buffer;
      mzxid: Buffer;
      ctime: Buffer;
      mtime: Buffer;
      version: number;
      cversion: number;
      aversion: number;
      ephemeralOwner: Buffer;
      dataLength: number;
      numChildren: number;
      pzxid: Buffer;
    }
    interface Event {
      type: number;
      name: string;
      path: string;
      getType(): number;
      getName(): string;
      getPath(): string;
    }
    interface Exception extends Error {
      code: number;
      getCode(): number;
      getName(): string;
      getPath(): string | undefined;
    }
    interface State {
      name: string;
      code: number;
      getName(): string;
      getCode(): number;
    }
    interface ClientOptions {
      sessionTimeout?: number;
      spinDelay?: number;
      retries?: number;
    }
    type Watcher = (event: Event) => void;
    interface Transaction {
      create(path: string, data?: Buffer | null, acls?: ACL[], mode?: number): Transaction;
      check(path: string, version?: number): Transaction;
      setData(path: string, data: Buffer | null, version?: number): Transaction;
      remove(path: string, version?: number): Transaction;
      commit(callback: Callback<[results: { type: number; path?: string; stat?: Stat; err?: number }[]]>): void;
    }
    type Callback<T extends unknown[]> = (error: Exception | Error | null, ...results: T) => void;

    interface Client extends EventEmitter {
      connect(): void;
      close(): void;
      getState(): State;
      getSessionId(): Buffer;
      getSessionPassword(): Buffer;
      getSessionTimeout(): number;
      addAuthInfo(scheme: string, auth: Buffer): void;
      create(path: string, data: Buffer | null, acls: ACL[], mode: number, callback: Callback<[path: string]>): void;
      create(path: string, data: Buffer | null, mode: number, callback: Callback<[path: string]>): void;
      create(path: string, data: Buffer | null, callback: Callback<[path: string]>): void;
      create(path: string, callback: Callback<[path: string]>): void;
      remove(path: string, version: number, callback: Callback<[]>): void;
      remove(path: string, callback: Callback<[]>): void;
      setData(path: string, data: Buffer | null, version: number, callback: Callback<[stat: Stat]>): void;
      setData(path: string, data: Buffer | null, callback: Callback<[stat: Stat]>): void;
      getData(path: string, watcher: Watcher | undefined, callback: Callback<[data: Buffer, stat: Stat]>): void;
      getData(path: string, callback: Callback<[data: Buffer, stat: Stat]>): void;
      exists(path: string, watcher: Watcher | undefined, callback: Callback<[stat: Stat | null]>): void;
      exists(path: string, callback: Callback<[stat: Stat | null]>): void;
      getChildren(path: string, watcher: Watcher | undefined, callback: Callback<[children: string[], stat: Stat]>): void;
      getChildren(path: string, callback: Callback<[children: string[], stat: Stat]>): void;
      getACL(path: string, callback: Callback<[acls: ACL[], stat: Stat]>): void;
      setACL(path: string, acls: ACL[], version: number, callback: Callback<[stat: Stat]>): void;
      mkdirp(path: string, callback: Callback<[path: string]>): void;
      transaction(): Transaction;
      on(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed' | 'connectedReadOnly', listener: () => void): this;
      on(event: 'state', listener: (state: State) => void): this;
      once(event: 'connected' | 'disconnected' | 'expired' | 'authenticationFailed' | 'connectedReadOnly', listener: () => void): this;
      once(event: 'state', listener: (state: State) => void): this;
    }
  }

  const zookeeper: {
    createClient(connectionString: string, options?: zookeeper.ClientOptions): zookeeper.Client;
    ACL: (new (permission: number, id: zookeeper.Id) => zookeeper.ACL) & {
      OPEN_ACL_UNSAFE: zookeeper.ACL[];
      CREATOR_ALL_ACL: zookeeper.ACL[];
      READ_ACL_UNSAFE: zookeeper.ACL[];
    };
    Id: (new (scheme: string, id: string) => zookeeper.Id) & { ANYONE_ID_UNSAFE: zookeeper.Id; AUTH_IDS: zookeeper.Id };
    Permission: { READ: 1; WRITE: 2; CREATE: 4; DELETE: 8; ADMIN: 16; ALL: 31 };
    CreateMode: { PERSISTENT: 0; EPHEMERAL: 1; PERSISTENT_SEQUENTIAL: 2; EPHEMERAL_SEQUENTIAL: 3 };
    Event: { NODE_CREATED: 1; NODE_DELETED: 2; NODE_DATA_CHANGED: 3; NODE_CHILDREN_CHANGED: 4 };
    /** Error codes by name (NO_NODE: -101, ...), as KeeperException.Code. */
    Exception: Record<string, number>;
  };
  export default zookeeper;
}
