// What a group call's connections have carried, from WebRTC's stats: each other person's video
// received (the tests' "decodes everyone") and our upload (the benchmark's).
import type { Subscription } from './sfu-links';

interface RtpStats {
  type: string;
  kind?: string;
  mid?: string;
  framesDecoded?: number;
  bytesReceived?: number;
  bytesSent?: number;
}

/** Frames decoded and bytes received of each other person's video so far, by feed. */
export async function receivedByFeed(
  sub: Subscription,
): Promise<Map<number, { framesDecoded: number; bytes: number }>> {
  const out = new Map<number, { framesDecoded: number; bytes: number }>();
  const layout = sub.layout();
  const report = await sub.pc.getStats();
  report.forEach((r: RtpStats) => {
    if (r.type !== 'inbound-rtp' || r.kind !== 'video' || !r.mid) return;
    const stream = layout.get(r.mid);
    if (!stream) return;
    const sum = out.get(stream.feed) ?? { framesDecoded: 0, bytes: 0 };
    sum.framesDecoded += r.framesDecoded ?? 0;
    sum.bytes += r.bytesReceived ?? 0;
    out.set(stream.feed, sum);
  });
  return out;
}

/** Bytes sent so far by a connection's RTP streams. */
export async function bytesSent(pc: RTCPeerConnection): Promise<number> {
  let bytes = 0;
  (await pc.getStats()).forEach((r: RtpStats) => {
    if (r.type === 'outbound-rtp') bytes += r.bytesSent ?? 0;
  });
  return bytes;
}
