// The call machine's handling of the signals of a call in progress (all but rings): accepts,
// declines, cancels, hangups, the group caller's rosters, camera news and WebRTC's own signals.
import type { CallSignal, RosterEntry } from '../../../../shared/call-signal';
import { MAX_CALL_SIZE, type Builder } from './call-step';
import type { CallCore, CallInput, Sender } from './call-types';

/** Every signal but a ring: it must be of this call, and from someone in it. */
export function signal(b: Builder, input: Extract<CallInput, { type: 'signal' }>): void {
  const c = b.core;
  const { from, callId, signal: s } = input;
  if (callId !== c.callId || c.state.phase === 'ended' || c.state.phase === 'idle') return;
  const who = c.participants.find((p) => p.userId === from.user_id);
  switch (s.kind) {
    case 'accept':
      return accepted(b, from, who);
    case 'decline':
      if (who?.phase === 'ringing') b.leave(who.userId, s.reason);
      return;
    case 'cancel':
      if (c.state.phase !== 'incoming') return;
      if (s.answered) return b.end('answered elsewhere');
      return b.end(s.timedOut ? 'no answer' : 'cancelled');
    case 'hangup':
      if (!who || (who.cid && who.cid !== from.cid)) return;
      if (s.failed) return b.leave(who.userId, 'failed', 'the other side could not connect');
      return b.leave(who.userId, c.group ? 'everyone left' : 'the other side hung up');
    case 'roster':
      return roster(b, from.cid, s, input.earlySenders, input.knownNames);
    case 'media':
      if (who && who.cid === from.cid) {
        b.patchParticipant(who.userId, { cameraOff: s.cameraOff, micOff: s.micOff === true });
      }
      return;
    case 'sdp':
      // The server's word for the sender's name, once their first signal brings it.
      if (from.displayName && who && who.cid === from.cid && who.name !== from.displayName) {
        b.patchParticipant(who.userId, { name: from.displayName.slice(0, 64) });
      }
      b.do({ kind: 'sdp', from, data: s.data });
      return;
    case 'ring':
      return; // handled by ring()
  }
}

/** Someone we rang answered (we are the caller). */
function accepted(
  b: Builder,
  from: Sender,
  who: CallCore['participants'][number] | undefined,
): void {
  const c = b.core;
  if (!who) return;
  if (who.phase !== 'ringing') {
    // Two of their devices answered at once: the first one has the call.
    if (who.cid !== from.cid) b.send({ cid: from.cid }, { kind: 'hangup' });
    return;
  }
  if (c.callee?.userId === who.userId) b.set({ callee: { ...c.callee, answered: true } });
  // Their other devices stop ringing (the one that answered is past ringing and ignores it).
  b.send({ user: who.userId }, { kind: 'cancel', answered: true });
  const inCall = c.participants.filter((p) => p.cid && p.userId !== who.userId);
  b.patchParticipant(who.userId, { cid: from.cid, phase: 'connecting' });
  if (c.group !== undefined) {
    const entry = { user_id: who.userId, cid: from.cid, name: who.name };
    const members = inCall.map((p) => ({ user_id: p.userId, cid: p.cid!, name: p.name }));
    // A lost roster shows as that pair never connecting: its own timeout says so.
    if (members.length > 0) b.send({ cid: from.cid }, { kind: 'roster', members, offer: true });
    for (const p of inCall) {
      b.send({ cid: p.cid! }, { kind: 'roster', members: [entry], offer: false });
    }
  }
  // An answer can come while our camera is still opening: the link waits for it.
  b.link(who.userId, from.cid, false);
}

/** The caller says who else is in the group call. */
function roster(
  b: Builder,
  sender: string,
  s: Extract<CallSignal, { kind: 'roster' }>,
  earlySenders: ReadonlyMap<string, string> = new Map(),
  knownNames: ReadonlyMap<string, string> = new Map(),
): void {
  const { from } = b.core;
  if (!from || sender !== from.cid) return;
  for (const m of s.members.slice(0, MAX_CALL_SIZE) as RosterEntry[]) {
    const known = b.core.participants.some((p) => p.userId === m.user_id);
    if (known || b.core.participants.length + 1 >= MAX_CALL_SIZE) continue;
    // Signals that already came from this connection were sent by someone else (review M3).
    const sentBy = earlySenders.get(m.cid);
    if (sentBy !== undefined && sentBy !== m.user_id) continue;
    // The name is ours for that user id where we know one; the roster's is only a fallback until
    // their first signal brings the server's.
    const name = knownNames.get(m.user_id) ?? m.name.slice(0, 64);
    b.set({
      participants: [
        ...b.core.participants,
        { userId: m.user_id, name, cid: m.cid, phase: 'connecting' },
      ],
    });
    b.link(m.user_id, m.cid, s.offer);
  }
}
