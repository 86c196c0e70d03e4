// Control messages from other nodes of a cluster, on a user's topic (broker.ts).
import { type ControlMessage, topics } from '../broker.js';
import type { HubContext } from './context.js';
import { deliverQueued, startListening } from './resume.js';

/** Cluster control messages from other nodes (broker.ts), on a user's topic. */
export function control(ctx: HubContext, topic: string, m: ControlMessage): void {
  if (!topic.startsWith('u:')) return;
  const userId = topic.slice(2);
  const conns = ctx.connections.ofUser(userId);
  if (!conns) return;
  switch (m.ctl) {
    case 'listen':
      ctx.background(startListening(ctx, userId, m.group, m.seq, m.frame), 'joining');
      return;
    case 'unlisten':
      ctx.connections.leftGroup(userId, m.group, topics.group(m.group), m.private === true);
      return;
    case 'drain': {
      const first = conns.values().next().value;
      if (first) ctx.background(deliverQueued(ctx, userId, first), 'notifications');
      return;
    }
    case 'revoked':
      for (const conn of conns) conn.endSession(m.jti);
      return;
    case 'head':
      return; // the fan-out's sequencer takes these
    case 'presence':
      return; // only on the cluster topic (fromCluster)
  }
}
