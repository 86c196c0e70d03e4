// Group calls on the server's SFU (sfu/sfu-calls.ts): who may join which call, and the ops a
// participant may ask for on their own call. Everything Janus-side stays in sfu/.
import { ErrorCode, type RequestResultMap, type SfuJsep } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import type { HubContext } from '../context.js';
import { type HubConnection, HubError } from '../types.js';

export async function sfu(
  ctx: HubContext,
  conn: HubConnection,
  p: RequestParams<'sfu'>,
): Promise<RequestResultMap['sfu']> {
  const calls = ctx.calls;
  if (!calls) {
    throw new HubError(
      ErrorCode.SFU_UNAVAILABLE,
      'this server has no call server (SFU) for group calls; they are limited to 4 people',
    );
  }
  const { cid } = conn;
  switch (p.op) {
    case 'join': {
      // A non-member is told what a private group's stranger is told everywhere else.
      if (!(await ctx.store.isMember(p.group, conn.user.userId))) {
        throw new HubError(ErrorCode.NOT_FOUND, `no group ${p.group} of yours`);
      }
      return calls.join(
        { cid, userId: conn.user.userId, displayName: conn.user.displayName },
        p.group,
        p.callId,
        p.video,
      );
    }
    case 'publish':
      return { jsep: toJsep(await calls.publish(cid, p.callId, p.jsep)) };
    case 'subscribe': {
      const { jsep, streams } = await calls.subscribe(cid, p.callId, p.add, p.remove);
      return { ...(jsep ? { jsep: toJsep(jsep) } : {}), streams };
    }
    case 'answer':
      await calls.answer(cid, p.callId, p.jsep);
      return {};
    case 'configure':
      await calls.configure(cid, p.callId, p.streams);
      return {};
    case 'trickle':
      await calls.trickle(cid, p.callId, p.target, p.candidate);
      return {};
    case 'state': {
      const { callId, op: _op, ...state } = p;
      calls.state(cid, callId, withoutUndefined(state));
      return {};
    }
    case 'rejoin':
      return { feeds: await calls.rejoin(cid, p.callId) };
    case 'leave':
      calls.leave(cid, p.callId);
      return {};
    case 'calls':
      return { calls: calls.running(await ctx.store.userGroups(conn.user.userId)) };
  }
}

/** Only the two fields a client's RTCPeerConnection takes, whatever else Janus put there. */
function toJsep(j: { type: string; sdp: string }): SfuJsep {
  return { type: j.type === 'offer' ? 'offer' : 'answer', sdp: j.sdp };
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
