// Call signalling between two users' clients, limited per sender and recipient (review M6).
import { ErrorCode, type RequestResultMap } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import { topics } from '../../broker.js';
import { TokenBucket } from '../../rate-limit.js';
import type { HubContext } from '../context.js';
import { eventFrame } from '../frames.js';
import { sharesConversation } from '../presence.js';
import { type HubConnection, HubError } from '../types.js';

/** A call signal (SDP, candidate, ring) fits well within this. */
export const MAX_SIGNAL_BYTES = 16 * 1024;

/** How long after one side signals the other may answer it by cid even while invisible. */
const RTC_ANSWER_WINDOW_MS = 10 * 60_000;

/** A call record may follow its ring by this much (no answer, then the caller gives up). */
const CALL_RECORD_WINDOW_MS = 10 * 60_000;

/** An answered call's ring is kept this long for its record (one per caller and callee). */
const ANSWERED_RING_KEPT_MS = 24 * 3600_000;

/** How much later than its ring a call's own clock may say it started (a slow accept). */
const CLOCK_SLACK_MS = 5_000;

/** How long a ring is kept for its record: a day once answered, else the missed-call window. */
function ringKeptMs(ring: { answered?: boolean }): number {
  return ring.answered ? ANSWERED_RING_KEPT_MS : CALL_RECORD_WINDOW_MS;
}

/**
 * The body.call the server writes for a post asking for a call record (L4): only in a dm with
 * someone the sender rang lately, and saying what that ring said. Anything else is refused.
 * An answered call's record says how long it lasted: never longer than since its ring (UX-3
 * gap 6: "Call with Bob, 4:12"); an answered ring is kept a day for it, then one record uses it.
 */
export function callRecordFor(
  ctx: HubContext,
  callerId: string,
  calleeId: string | undefined,
  durationMs?: number,
): { call: { missed: true; video: boolean } | { video: boolean; durationMs: number } } {
  const ring = calleeId !== undefined ? ctx.recentRings.get(`${callerId}>${calleeId}`) : undefined;
  const since = ring ? ctx.now() - ring.at : Infinity;
  if (!ring || since > ringKeptMs(ring) || (durationMs !== undefined && !ring.answered)) {
    throw new HubError(ErrorCode.BAD_REQUEST, 'a call record follows a call you made in this dm');
  }
  if (durationMs === undefined) return { call: { missed: true, video: ring.video } };
  if (durationMs > since + CLOCK_SLACK_MS) {
    throw new HubError(
      ErrorCode.BAD_REQUEST,
      'that call cannot have lasted longer than since it rang',
    );
  }
  // One record per ring: a second post for the same call is refused.
  ctx.recentRings.delete(`${callerId}>${calleeId}`);
  return { call: { video: ring.video, durationMs } };
}

/** Forgets rings too old to be recorded (called from the hub's sweep). */
export function forgetOldRings(ctx: HubContext): void {
  for (const [key, ring] of ctx.recentRings) {
    if (ctx.now() - ring.at > ringKeptMs(ring)) ctx.recentRings.delete(key);
  }
}

export async function rtc(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'rtc'>,
): Promise<RequestResultMap['rtc']> {
  const { userId } = conn.user;
  let targetUser: string;
  if (p.cid !== undefined) {
    // A connection on this node, or on any other (the registry knows whose it is).
    const owner = ctx.connections.get(p.cid)?.user.userId ?? (await ctx.registry.userOfCid(p.cid));
    // An invisible user's connection is answered only by someone it signalled lately (a call
    // it takes part in); to anyone else it is as gone as a closed one (review M7).
    const hidden =
      owner !== undefined &&
      owner !== userId &&
      (await ctx.store.userById(owner))?.status === 'invisible' &&
      !(await ctx.registry.signalled(p.cid, userId));
    if (owner === undefined || hidden) {
      throw new HubError(ErrorCode.NOT_FOUND, `no connection ${p.cid}; it may have gone`);
    }
    targetUser = owner;
  } else {
    targetUser = p.user_id!;
  }
  if (!(await sharesConversation(ctx, userId, targetUser))) {
    throw new HubError(ErrorCode.FORBIDDEN, 'you share no group or conversation with that user');
  }
  const bytes = Buffer.byteLength(JSON.stringify(p.signal));
  if (bytes > MAX_SIGNAL_BYTES) {
    throw new HubError(
      ErrorCode.TOO_LARGE,
      `the signal is ${bytes} bytes; the limit is ${MAX_SIGNAL_BYTES}`,
    );
  }
  chargeSignal(ctx, userId, targetUser, bytes);
  // A ring (reached or not) lets the caller post one kind of message: its missed-call record.
  const signal = p.signal as { kind?: unknown; video?: unknown };
  if (signal.kind === 'ring') {
    ctx.recentRings.set(`${userId}>${targetUser}`, { at: ctx.now(), video: signal.video === true });
  } else if (signal.kind === 'accept') {
    // Answered: the ring is kept for the call's record when it ends, however long it runs.
    const ring = ctx.recentRings.get(`${targetUser}>${userId}`);
    if (ring) ring.answered = true;
  }
  // A user with no live connection (or invisible) is offline to a caller: one answer for both.
  if (
    p.cid === undefined &&
    (!(await ctx.registry.online([targetUser])).has(targetUser) ||
      (await ctx.store.userById(targetUser))?.status === 'invisible')
  ) {
    throw new HubError(ErrorCode.NOT_FOUND, 'that user is offline');
  }
  ctx.broker.publish(topics.user(targetUser), {
    event: 'rtc:signal',
    ...(p.cid !== undefined ? { cid: p.cid } : {}),
    frame: eventFrame('rtc:signal', {
      from: { user_id: userId, cid: conn.cid, displayName: conn.user.displayName },
      callId: p.callId,
      signal: p.signal,
    }),
  });
  await ctx.registry.noteSignal(conn.cid, targetUser, RTC_ANSWER_WINDOW_MS);
  return {};
}

/**
 * Signals from one user to another are limited in count and bytes (review M6): a call needs a
 * burst of candidates, not megabytes a second.
 */
export function chargeSignal(ctx: HubContext, from: string, to: string, bytes: number): void {
  if (from === to) return;
  const now = ctx.now();
  const key = `${from}>${to}`;
  let budget = ctx.signalBudgets.get(key);
  if (!budget) {
    const { signalsPerSecond, signalBytesPerSecond } = ctx.limits;
    budget = {
      count: new TokenBucket(signalsPerSecond, signalsPerSecond * 4, now),
      bytes: new TokenBucket(signalBytesPerSecond, signalBytesPerSecond * 4, now),
    };
    ctx.signalBudgets.set(key, budget);
  }
  const count = budget.count.take(now);
  const size = count.ok ? budget.bytes.take(now, bytes) : count;
  if (!size.ok) {
    throw new HubError(
      ErrorCode.RATE_LIMITED,
      'too many call signals to this person; slow down',
      size.retryAfterMs,
    );
  }
}
