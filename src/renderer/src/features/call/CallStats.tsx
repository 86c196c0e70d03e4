// The call's figures from getStats, once a second: round-trip time, bitrates, packet loss,
// resolution and frame rate, and the audio packets sent (which stop while muted).
import { useEffect, useRef, useState } from 'react';
import { useCallStore } from './use-call';

interface Figures {
  rttMs?: number;
  sendKbps?: number;
  receiveKbps?: number;
  lossPct?: number;
  resolution?: string;
  fps?: number;
  audioPacketsSent?: number;
  framesDecoded?: number;
}

export function CallStats() {
  const store = useCallStore();
  const [f, setF] = useState<Figures>({});
  const last = useRef<{ t: number; sent: number; received: number } | null>(null);
  useEffect(() => {
    const tick = async () => {
      const report = await store.stats();
      if (!report) return;
      const next: Figures = {};
      let sent = 0;
      let received = 0;
      let lost = 0;
      let packets = 0;
      report.forEach((s: Record<string, unknown>) => {
        if (
          s.type === 'candidate-pair' &&
          s.nominated &&
          typeof s.currentRoundTripTime === 'number'
        ) {
          next.rttMs = Math.round(s.currentRoundTripTime * 1000);
        }
        if (s.type === 'outbound-rtp') {
          sent += Number(s.bytesSent ?? 0);
          if (s.kind === 'audio') next.audioPacketsSent = Number(s.packetsSent ?? 0);
        }
        if (s.type === 'inbound-rtp') {
          received += Number(s.bytesReceived ?? 0);
          lost += Number(s.packetsLost ?? 0);
          packets += Number(s.packetsReceived ?? 0);
          if (s.kind === 'video') {
            if (s.frameWidth) next.resolution = `${String(s.frameWidth)}×${String(s.frameHeight)}`;
            if (typeof s.framesPerSecond === 'number') next.fps = s.framesPerSecond;
            next.framesDecoded = Number(s.framesDecoded ?? 0);
          }
        }
      });
      const now = performance.now();
      if (last.current) {
        const secs = (now - last.current.t) / 1000;
        next.sendKbps = Math.round(((sent - last.current.sent) * 8) / 1000 / secs);
        next.receiveKbps = Math.round(((received - last.current.received) * 8) / 1000 / secs);
      }
      next.lossPct = packets + lost > 0 ? Math.round((lost / (packets + lost)) * 1000) / 10 : 0;
      last.current = { t: now, sent, received };
      setF(next);
    };
    void tick();
    const t = setInterval(() => void tick(), 1000);
    return () => clearInterval(t);
  }, [store]);
  const rows: [string, string][] = [
    ['Round trip', f.rttMs !== undefined ? `${f.rttMs} ms` : '–'],
    ['Sending', f.sendKbps !== undefined ? `${f.sendKbps} kbit/s` : '–'],
    ['Receiving', f.receiveKbps !== undefined ? `${f.receiveKbps} kbit/s` : '–'],
    ['Packet loss', f.lossPct !== undefined ? `${f.lossPct} %` : '–'],
    ['Video', f.resolution ? `${f.resolution} at ${f.fps ?? '–'} fps` : '–'],
    ['Frames decoded', f.framesDecoded !== undefined ? String(f.framesDecoded) : '–'],
    ['Audio packets sent', f.audioPacketsSent !== undefined ? String(f.audioPacketsSent) : '–'],
  ];
  return (
    <dl className="call-stats" aria-label="Call statistics">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd data-stat={k}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
