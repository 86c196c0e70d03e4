// The call's figures from getStats, once a second: round-trip time, bitrates, packet loss,
// resolution and frame rate, and the audio packets sent (which stop while muted).
import { useEffect, useRef, useState } from 'react';
import { useCall, useCallStore } from './use-call';

interface Figures {
  rttMs?: number;
  sendKbps?: number;
  receiveKbps?: number;
  lossPct?: number;
  resolution?: string;
  fps?: number;
  audioPacketsSent?: number;
  framesDecoded?: number;
  restarts?: number;
  route?: string;
}

/** How the media travels, from the chosen local ICE candidate's type. */
const ROUTES: Record<string, string> = {
  host: 'direct (same network)',
  srflx: 'direct (through NAT)',
  prflx: 'direct (through NAT)',
  relay: 'relayed (TURN)',
};

export function CallStats() {
  const store = useCallStore();
  const { participants, group } = useCall();
  // In a group call, one connection at a time: the person chosen (the first by default).
  const [chosen, setChosen] = useState<string | undefined>();
  const who = participants.some((p) => p.userId === chosen) ? chosen : participants[0]?.userId;
  const [f, setF] = useState<Figures>({});
  const last = useRef<{ t: number; sent: number; received: number } | null>(null);
  useEffect(() => {
    last.current = null;
    const tick = async () => {
      const report = await store.stats(who);
      if (!report) return;
      const next: Figures = { restarts: store.restarts(who) };
      let sent = 0;
      let received = 0;
      let lost = 0;
      let packets = 0;
      let pairLocal: string | undefined;
      const candidateTypes = new Map<string, string>();
      report.forEach((s: Record<string, unknown>) => {
        if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
          const pair = report.get(s.selectedCandidatePairId) as { localCandidateId?: string };
          pairLocal = pair?.localCandidateId;
        }
        if (s.type === 'local-candidate' && typeof s.candidateType === 'string') {
          candidateTypes.set(String(s.id), s.candidateType);
        }
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
      const type = pairLocal ? candidateTypes.get(pairLocal) : undefined;
      if (type) next.route = ROUTES[type] ?? type;
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
  }, [store, who]);
  const rows: [string, string][] = [
    ['Round trip', f.rttMs !== undefined ? `${f.rttMs} ms` : '–'],
    ['Sending', f.sendKbps !== undefined ? `${f.sendKbps} kbit/s` : '–'],
    ['Receiving', f.receiveKbps !== undefined ? `${f.receiveKbps} kbit/s` : '–'],
    ['Packet loss', f.lossPct !== undefined ? `${f.lossPct} %` : '–'],
    ['Video', f.resolution ? `${f.resolution} at ${f.fps ?? '–'} fps` : '–'],
    ['Frames decoded', f.framesDecoded !== undefined ? String(f.framesDecoded) : '–'],
    ['Audio packets sent', f.audioPacketsSent !== undefined ? String(f.audioPacketsSent) : '–'],
    ['Route', f.route ?? '–'],
    ['ICE restarts', f.restarts !== undefined ? String(f.restarts) : '–'],
  ];
  return (
    <dl className="call-stats" aria-label="Call statistics">
      {group && participants.length > 1 && (
        <div className="call-stats-who">
          <dt>
            <label htmlFor="stats-who">Connection to</label>
          </dt>
          <dd>
            <select id="stats-who" value={who} onChange={(e) => setChosen(e.target.value)}>
              {participants.map((p) => (
                <option key={p.userId} value={p.userId}>
                  {p.name}
                </option>
              ))}
            </select>
          </dd>
        </div>
      )}
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd data-stat={k}>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
