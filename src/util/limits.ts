// Every bound in Meerkat, named once, unit last, with the reason for it.

/** jute.maxbuffer: the largest frame or znode payload accepted, as ZooKeeper's default (1 MiB - 1). */
export const frameBytesMax = 0xfffff;

/** A path longer than this is rejected (BadArguments); ZooKeeper has no explicit bound but frames do. */
export const pathLengthMax = 4096;

/** Requests read from one connection but not yet answered; past it the socket is paused. */
export const connectionOutstandingRequestsMax = 1000;

/** Requests outstanding over all connections (ZooKeeper's globalOutstandingLimit default). */
export const globalOutstandingRequestsMax = 1000;

/** Connections accepted from one client IP (ZooKeeper's maxClientCnxns default). */
export const connectionsPerIpMax = 60;

/**
 * Connections accepted in all (ZooKeeper's maxCnxns, which is unlimited by default): many IPs at the
 * per-IP limit each must not exhaust file descriptors and memory (past serverOutputBytesMax each may
 * still hold one reply). Far above the few thousand sessions a server usually carries.
 */
export const connectionsMax = 10_000;

/**
 * Output (replies and notifications produced, not yet taken by the kernel's socket buffer) of one
 * connection past which its socket is no longer read: requests already read are still answered up
 * to the hard bound, no new ones are taken. Reading resumes below half of it. A few ordinary
 * replies never come near it; a reader slower than its own pipeline does.
 */
export const connectionOutputBytesSoftMax = 1024 * 1024;

/**
 * Output of one connection past which nothing more is produced for it: its reads wait in its queue
 * unexecuted (so a large reply is never built ahead of the socket's ability to take it), in FIFO
 * order. Output exceeds it by at most the reply built just before (one jute.maxbuffer) plus write
 * replies and watch notifications, which are small and bounded by the outstanding-request limits.
 */
export const connectionOutputBytesHardMax = 4 * 1024 * 1024;

/**
 * A connection whose output stays past the hard bound with the peer taking nothing for this long is
 * closed with a log line: its peer is not reading. Shorter than the default maximum session timeout
 * (20 ticks, 40 s), so the connection and its output are freed before the session would expire for
 * want of pings, which a paused socket does not read.
 */
export const connectionOutputStallMsMax = 10_000;

/**
 * Reads one connection may have waiting ahead of a write that is prepared. They must be answered
 * before that write is applied (per-session order), so they are answered even past the output
 * bounds; a write with more reads ahead of it (or any, once output is at the soft bound) waits
 * unprepared until they are answered. Output past the hard bound is thus at most this many
 * replies more. A client that pipelines a few reads behind each write is never slowed by it.
 */
export const connectionReadsAheadOfWriteMax = 8;

/**
 * Output over all connections past which a connection that already has output pending gets no read
 * answered until it or others drain, so many slow readers below their own bound cannot add up to
 * unbounded memory. A connection with nothing pending is still answered (one reply at a time), so a
 * well-behaved session's latency does not depend on the others: the total stays under this plus one
 * reply per connection (connections are bounded by connectionsMax and connectionsPerIpMax).
 */
export const serverOutputBytesMax = 64 * 1024 * 1024;

/** Default tick, the unit of session timeouts and quorum timeouts (ZooKeeper's tickTime default). */
export const tickTimeMsDefault = 2000;

/** Session timeouts are clamped to [2, 20] ticks unless configured otherwise, as ZooKeeper does. */
export const sessionTimeoutTicksMin = 2;
export const sessionTimeoutTicksMax = 20;

/**
 * A connection must complete its connect handshake within this time of being accepted or it is
 * closed (zoo.cfg `nio.sessionlessCnxnTimeout`, ZooKeeper's name and default). Counted from accept,
 * not from the last byte as ZooKeeper does: a slow loris trickling a byte at a time cannot hold a
 * connection (and its per-IP slot) open for longer than this.
 */
export const handshakeTimeoutMsMax = 10_000;

/** Entries in one multi transaction; ZooKeeper bounds it only by the frame size, we say so explicitly. */
export const multiOpsMax = 10_000;

/** Watches re-registered by one setWatches request (bounded by the frame size too). */
export const setWatchesPathsMax = 100_000;

/** Authentication entries (addAuth) one session may hold. */
export const sessionAuthEntriesMax = 64;

/** How often the container and TTL reaper scans, as ZooKeeper's znode.container.checkIntervalMs. */
export const containerCheckIntervalMsDefault = 60_000;

/** Four-letter word commands are this long and the connection is closed after answering. */
export const fourLetterWordBytes = 4;

/**
 * Txns written to the log in one write (group commit). Batches are naturally bounded by the
 * outstanding-request limits; this caps the rest (e.g. a burst of session expiries) so one write
 * stays small enough to finish quickly.
 */
export const logBatchTxnsMax = 2000;

/**
 * Log flushes in flight at once. One: the next flush is issued from the previous one's completion,
 * before that batch is applied and answered, with everything prepared meanwhile. Two (the second
 * issued at once with whatever was prepared right after the first) measured 13 % fewer writes/s and
 * a higher p50 in alternating runs: it splits the same arrivals into smaller batches. TxnLog and the
 * file keep several in flight correct (txn-log.ts, ordered-file.ts) should a faster disk favour more.
 */
export const logFlushesInFlightMax = 1;

/** Client: path characters per setWatches request, as ZooKeeper's client (SET_WATCHES_MAX_LENGTH). */
export const setWatchesBytesMax = 128 * 1024;

/** Client: unread events one watch stream may hold; a consumer further behind loses the stream. */
export const watchStreamEventsQueuedMax = 10_000;

/** Client: retries beyond this are refused: an exponential pause overflows long before (as Curator caps it). */
export const retriesMaxLimit = 29;

/**
 * Storage: snapshots tried at start-up, newest first, before giving up (ZooKeeper's
 * FileSnap.findNValidSnapshots(100)); damaged ones are skipped with a warning.
 */
export const snapshotsTriedMax = 100;

/** Storage: purge never keeps fewer snapshots than this (PurgeTxnLog's minimum; a damaged newest needs a fallback). */
export const snapshotsRetainedMin = 3;

/**
 * Storage: the largest txn log entry a reader believes. Far above any jute.maxbuffer deployments use
 * (ZooKeeper's default is 1 MiB; some raise it to a few MiB), so only a damaged length exceeds it.
 */
export const logEntryBytesMax = 100 * 1024 * 1024;

/**
 * Storage: the largest single snapshot item (a node with its data, or one ACL list) the streaming
 * reader waits for before calling the bytes damaged; same reasoning as logEntryBytesMax.
 */
export const snapshotItemBytesMax = 100 * 1024 * 1024;

/** Storage: the txn log grows in steps of this size (ZooKeeper's zookeeper.preAllocSize default, 64 MiB). */
export const preAllocBytesDefault = 64 * 1024 * 1024;

/** The longest timer period Node accepts (2^31 - 1 ms, ~24.8 days); beyond it setInterval fires every 1 ms. */
export const timerPeriodMsMax = 2 ** 31 - 1;

/**
 * ZAB: applied txns the in-memory log window keeps for DIFF syncs (ZooKeeper keeps the last
 * commitLogCount = 500 committed proposals in memory and reads older ones from its txn log files
 * while they weigh less than snapshotSizeFactor = 0.33 of the snapshot). The core has no disk, so
 * it keeps more: a follower that restarts or falls a few seconds behind a busy leader still gets a
 * DIFF. A learner further behind gets a SNAP. Unapplied txns are always kept (they are bounded by
 * the requests outstanding on the leader).
 */
export const zabLogAppliedTxnsMax = 10_000;

/**
 * ZAB: data bytes of the applied txns the log window keeps (the same tail, bounded by weight): at
 * most 10,000 large txns of up to jute.maxbuffer would be 10 GiB. A DIFF heavier than this costs
 * about what a SNAP of a modest tree does.
 */
export const zabLogAppliedBytesMax = 32 * 1024 * 1024;

/**
 * Election port: bytes of the address text in a peer's initial message (QuorumCnxManager.maxBuffer).
 * ZooKeeper refuses a longer one, so a Meerkat peer accepted here is also accepted there.
 */
export const electionAddressBytesMax = 2048;

/**
 * Election port: the largest notification frame (QuorumCnxManager.PACKETMAXSIZE, 512 KiB). A
 * notification is 44 bytes plus the sender's configuration text; only a broken peer comes near it.
 */
export const electionMessageBytesMax = 512 * 1024;

/**
 * Election port: notifications queued per peer while its connection is down or busy; past it the
 * oldest is dropped (ZooKeeper's SEND_CAPACITY, 1): a peer needs only our latest vote, and an older
 * one delivered late would make it act on a stale vote.
 */
export const electionSendQueueMessagesMax = 1;

/** Election port: a connection attempt that has not connected after this long is abandoned (ZooKeeper's cnxTimeout default). */
export const electionConnectTimeoutMs = 5000;

/** Election port: an accepted connection must send its whole initial message within this time, or it is closed. */
export const electionHandshakeTimeoutMs = 5000;

/**
 * Election port: the first retry of a failed or refused connection waits this long, doubling up to
 * the maximum; a connection that comes up resets it. The election core re-sends its vote on its own
 * schedule too, so a retry is never the only way a vote gets through.
 */
export const electionReconnectDelayMsMin = 100;
export const electionReconnectDelayMsMax = 5000;

/**
 * Election port: a connection whose peer took none of our output for this long is closed (and
 * re-established): a notification is tiny, so a peer that does not read it is stuck or gone.
 */
export const electionWriteStallMsMax = 10_000;

/**
 * Quorum port: the largest string or buffer field of a QuorumPacket or snapshot item, as
 * BinaryInputArchive's check on the learner connection (jute.maxbuffer plus the extra size, which
 * defaults to jute.maxbuffer again).
 */
export const quorumFieldBytesMax = 2 * frameBytesMax;

/**
 * Quorum port: the snapshot stream after a SNAP packet is held whole in memory (it becomes the
 * packet's data for the ZAB core); a longer one is refused and the connection dropped.
 */
export const quorumSnapshotBytesMax = 1024 * 1024 * 1024;

/**
 * Quorum port: packets (not snapshot bytes) queued on one connection and not yet taken by the
 * socket. A learner that falls this far behind cannot keep up and is dropped rather than buffered
 * without limit; it re-syncs on a new connection. 64 MiB is 64 proposals of the largest size.
 */
export const quorumQueuedBytesMax = 64 * 1024 * 1024;

/**
 * Packets a learner queues for its leader while the quorum connection is being dialled: FOLLOWERINFO
 * and its periodic re-sends only (nothing else goes before LEADERINFO), so a few are plenty.
 */
export const learnerPacketsBeforeConnectMax = 16;

/** ZooKeeper's defaults for initLimit and syncLimit, in ticks (its sample zoo.cfg: 10 and 5). */
export const initLimitTicksDefault = 10;
export const syncLimitTicksDefault = 5;
/** initLimit and syncLimit above this many ticks are a typo, not a setting (1,000 ticks of 2 s is over half an hour). */
export const membershipLimitTicksMax = 1000;

/**
 * AdminServer (HTTP): open connections at once. It serves operators and a scraper or two; past
 * this, new connections are refused so a flood cannot take file descriptors from client sessions.
 */
export const adminConnectionsMax = 64;

/**
 * AdminServer: a request must arrive whole (headers and body) within this, so a slow sender cannot
 * hold one of the few admin connections open.
 */
export const adminRequestTimeoutMs = 10_000;

/** AdminServer: bytes of request headers (Node's own default, named here); commands take no body. */
export const adminHeaderBytesMax = 16 * 1024;
