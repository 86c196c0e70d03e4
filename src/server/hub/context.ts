// What every request handler and hub module works with: the hub's ports, its connection index
// and the few pieces of shared state. Handlers are plain functions of (ctx, conn, params).
import type { IceServer } from '../../shared/protocol.js';
import type { Broker } from '../broker.js';
import type { TokenBucket } from '../rate-limit.js';
import type { LiveRegistry } from '../registry.js';
import type { SfuCalls } from '../sfu/sfu-calls.js';
import type { Store } from '../store/store.js';
import type { ConnectionIndex } from './connections.js';
import type { HubOptions, HubStats } from './types.js';

/** Signals from one user to another: how many, and how many bytes (review M6). */
export interface SignalBudget {
  count: TokenBucket;
  bytes: TokenBucket;
}

export interface HubContext {
  readonly store: Store;
  readonly broker: Broker;
  readonly registry: LiveRegistry;
  readonly connections: ConnectionIndex;
  readonly limits: HubOptions['limits'];
  readonly resumeMaxEvents: number;
  readonly iceServers: IceServer[];
  /** Group calls on Janus; undefined when no SFU is configured. */
  readonly calls: SfuCalls | undefined;
  /** Test failpoint: runs after a post is committed, before it is published. */
  readonly afterCommit: (() => void) | undefined;
  readonly stats: HubStats;
  /** Per `sender>recipient`. */
  readonly signalBudgets: Map<string, SignalBudget>;
  /** Groups each user may still create (a day's budget). */
  readonly groupCreations: Map<string, TokenBucket>;
  /** When `caller>callee` last rang, and whether with video: what a call record may claim. */
  readonly recentRings: Map<string, { at: number; video: boolean; answered?: boolean }>;
  /** A stored file's picture header, if it is one. */
  imageHeader(fileId: string): Promise<{ type: string; width: number; height: number } | undefined>;
  /** Deletes the bytes of files the store dropped. */
  deleteFiles(fileIds: string[]): Promise<void>;
  now(): number;
  onError(err: unknown, what: string): void;
  /** Work no request waits for (presence on leave, cluster control), kept until it settles. */
  background(work: Promise<unknown>, what: string): void;
}
