// What the four-letter words need to know about the process and the listener that only the runtime
// can find out (files, the OS, the bound port). The runtime implements it; admin/ stays free of I/O.

export interface ProcessMemory {
  residentBytes: number;
  heapUsedBytes: number;
  /** Heap reserved and not in use, the heap's limit, and the heap reserved (Java's free/max/total memory). */
  heapFreeBytes: number;
  heapMaxBytes: number;
  heapTotalBytes: number;
}

export interface ServerProcess {
  /** Milliseconds since the server started. */
  uptimeMs(): number;
  /** Open file descriptors and their limit; -1 where the OS does not say. */
  openFileDescriptors(): number;
  maxFileDescriptors(): number;
  memory(): ProcessMemory;
  /** Facts for `envi`: host name, OS, user, directories, runtime version, pid. */
  readonly environment: {
    hostName: string;
    platform: string;
    arch: string;
    osRelease: string;
    userName: string;
    userHome: string;
    workingDir: string;
    tmpDir: string;
    nodeVersion: string;
    pid: number;
  };
}

/** The connection that sent a four-letter word: ZooKeeper counts and lists it with the others. */
export interface FourLetterAsker {
  address: string;
  port: number;
  /** Clock time (ms) the connection was accepted. */
  acceptedAtMs: number;
}
