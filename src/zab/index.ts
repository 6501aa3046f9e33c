// Public entry of zab/: ZAB (election, discovery, sync, broadcast) as a pure, deterministic state machine.
export { ZabCore, emptyDurableState, type ZabStatus } from './core.js';
export { MajorityQuorum } from './quorum-verifier.js';
export { isNextZxid } from './zab-log.js';
export { isBetterVote } from './election.js';
export type {
  DurableState, ForwardResult, InjectedBugs, LearnerPayload, LearnerView, ProposalSizes, ZabPhase, LogEntry, LogWindowBounds, Outbound, PersistRecord, ProposeResult, Ready, Role, RoleChange,
  ZabConfig, ZabMessage,
} from './types.js';
