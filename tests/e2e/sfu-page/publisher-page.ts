// A test page that holds several call participants at once, each its own signed-in connection to
// the Parley server and its own SfuSession (the app's code, bundled by tests/helpers/sfu-pages.ts)
// publishing a small canvas picture and a tone. Cheap enough that a 2-core machine holds a call
// of 8 or 16; the app pages in the same call are the real app.
import { SfuSession } from '../../../src/renderer/src/features/call/group/sfu-session';
import type { SfuPort } from '../../../src/renderer/src/features/call/group/sfu-links';
import type { SfuEventData, SfuResultMap } from '../../../src/shared/sfu-protocol';

interface Participant {
  session: SfuSession;
  gain: GainNode;
  ws: WebSocket;
  /** When `add` was called (the benchmark's join → first remote frame). */
  startedAt: number;
}

const participants: Participant[] = [];
const audio = new AudioContext();

/** A picture that changes every frame (so frames are really decoded), and a tone. */
function media(label: string, width = 160, height = 120): { stream: MediaStream; gain: GainNode } {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d')!;
  let n = 0;
  setInterval(() => {
    n += 1;
    g.fillStyle = `hsl(${(n * 7) % 360} 60% 50%)`;
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#fff';
    g.font = `${Math.round(height / 6)}px sans-serif`;
    g.fillText(`${label} ${n}`, 8, height / 2);
  }, 66);
  const osc = audio.createOscillator();
  osc.frequency.value = 220 + participants.length * 40;
  const gain = audio.createGain();
  gain.gain.value = 0;
  const out = audio.createMediaStreamDestination();
  osc.connect(gain).connect(out);
  osc.start();
  const stream = new MediaStream([
    ...out.stream.getAudioTracks(),
    ...canvas.captureStream(15).getVideoTracks(),
  ]);
  return { stream, gain };
}

/** The protocol over a WebSocket of this page's own: sign in, requests by id, events. */
function connect(
  url: string,
  token: string,
  onEvent: (d: SfuEventData) => void,
): Promise<{ ws: WebSocket; port: SfuPort }> {
  const ws = new WebSocket(url);
  const waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  let next = 0;
  ws.onmessage = (m) => {
    const f = JSON.parse(String(m.data)) as {
      type: string;
      id?: string;
      ok?: boolean;
      result?: unknown;
      error?: { code: string; message: string };
      event?: string;
      data?: unknown;
      success?: boolean;
    };
    if (f.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
    if (f.type === 'event' && f.event === 'sfu:event') onEvent(f.data as SfuEventData);
    const w = f.id ? waiting.get(f.id) : undefined;
    if (!w) return;
    waiting.delete(f.id!);
    if (f.type === 'authresponse')
      return f.success ? w.resolve(f) : w.reject(new Error('sign-in failed'));
    if (f.ok) w.resolve(f.result);
    else w.reject(Object.assign(new Error(f.error?.message ?? 'failed'), { code: f.error?.code }));
  };
  const send = (frame: Record<string, unknown>) =>
    new Promise((resolve, reject) => {
      const id = `p${next++}`;
      waiting.set(id, { resolve, reject });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  const port: SfuPort = {
    request: <Op extends keyof SfuResultMap>(op: Op, params: Record<string, unknown>) =>
      send({ type: 'sfu', op, ...params }) as Promise<SfuResultMap[Op]>,
  };
  return new Promise((resolve, reject) => {
    ws.onopen = () =>
      send({ type: 'authrequest', token, version: '1' }).then(() => resolve({ ws, port }), reject);
    ws.onerror = () => reject(new Error('no connection'));
  });
}

/** The mesh reference of bench:call: plain connections, each sending the same picture. */
const mesh: RTCPeerConnection[] = [];

async function gathered(pc: RTCPeerConnection): Promise<string> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((r) =>
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') r();
      }),
    );
  }
  return pc.localDescription!.sdp;
}

const api = {
  /** Offers `k` connections sending one picture of `size` and a tone; answers the offers. */
  async meshOffer(k: number, size: [number, number]): Promise<string[]> {
    const { stream } = media('mesh', size[0], size[1]);
    const offers: string[] = [];
    for (let i = 0; i < k; i++) {
      const pc = new RTCPeerConnection();
      for (const t of stream.getTracks()) pc.addTrack(t, stream);
      await pc.setLocalDescription(await pc.createOffer());
      offers.push(await gathered(pc));
      mesh.push(pc);
    }
    return offers;
  },
  /** The receiving side of the mesh reference: answers each offer. */
  async meshAnswer(offers: string[]): Promise<string[]> {
    const answers: string[] = [];
    for (const sdp of offers) {
      const pc = new RTCPeerConnection();
      await pc.setRemoteDescription({ type: 'offer', sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      answers.push(await gathered(pc));
      mesh.push(pc);
    }
    return answers;
  },
  async meshAccept(answers: string[]): Promise<void> {
    const senders = mesh.slice(-answers.length);
    await Promise.all(
      senders.map((pc, i) => pc.setRemoteDescription({ type: 'answer', sdp: answers[i]! })),
    );
  },
  /** Bytes sent so far by this page's mesh connections. */
  async meshSent(): Promise<number> {
    let bytes = 0;
    for (const pc of mesh) {
      (await pc.getStats()).forEach((r: { type: string; bytesSent?: number }) => {
        if (r.type === 'outbound-rtp') bytes += r.bytesSent ?? 0;
      });
    }
    return bytes;
  },
  meshClose(): void {
    for (const pc of mesh.splice(0)) pc.close();
  },
  /** Adds a participant; resolves with its index once it has joined and published. */
  async add(
    url: string,
    token: string,
    group: string,
    label: string,
    iceServers: RTCIceServer[] = [],
    size: [number, number] = [160, 120],
  ): Promise<number> {
    const startedAt = performance.now();
    const { stream, gain } = media(label, size[0], size[1]);
    // Events may come before the session exists (none of its call yet): they are for a later one.
    const holder: { session?: SfuSession } = {};
    const { ws, port } = await connect(url, token, (d) => holder.session?.event(d));
    const session = new SfuSession(port, {
      group,
      video: true,
      local: stream,
      iceServers,
      onChange: () => undefined,
    });
    holder.session = session;
    await session.join();
    participants.push({ session, gain, ws, startedAt });
    return participants.length - 1;
  },
  /** Frames decoded so far from each other feed, as [feed, frames] pairs. */
  async decoded(i: number): Promise<[number, number][]> {
    const r = await participants[i]!.session.receiving();
    return [...r].map(([feed, s]) => [feed, s.framesDecoded]);
  },
  feeds(i: number): number[] {
    return participants[i]!.session.current().feeds.map((f) => f.feed);
  },
  self(i: number): number | undefined {
    return participants[i]!.session.current().feeds.find((f) => f.self)?.feed;
  },
  phase(i: number): string {
    return participants[i]!.session.current().phase;
  },
  sent(i: number): Promise<number> {
    return participants[i]!.session.sent();
  },
  /** Makes a participant loud (talking) or silent. */
  loud(i: number, on: boolean): void {
    void audio.resume();
    participants[i]!.gain.gain.value = on ? 0.8 : 0;
  },
  /** What a failed connection does (the network changed): enter again and connect anew. */
  recover(i: number): Promise<void> {
    return participants[i]!.session.recover();
  },
  leave(i: number): void {
    participants[i]!.session.leave();
    participants[i]!.ws.close();
  },
  count: () => participants.length,
  /** Milliseconds from `add` until a frame of someone else's video was decoded (polled). */
  async firstFrame(i: number, timeoutMs = 20_000): Promise<number> {
    const p = participants[i]!;
    for (;;) {
      const got = [...(await p.session.receiving()).values()].some((r) => r.framesDecoded > 0);
      if (got) return performance.now() - p.startedAt;
      if (performance.now() - p.startedAt > timeoutMs) throw new Error('no remote frame');
      await new Promise((r) => setTimeout(r, 10));
    }
  },
  /** Connection states and what each receives: a failing test's message. */
  async debug(i: number): Promise<unknown> {
    const p = participants[i]!;
    const links = p.session as unknown as {
      publisher?: { pc: RTCPeerConnection };
      subscription?: { pc: RTCPeerConnection; layout(): Map<string, unknown> };
    };
    return {
      phase: p.session.current().phase,
      feeds: p.session.current().feeds.map((f) => [f.feed, f.streams.length]),
      publisher: links.publisher?.pc.connectionState,
      subscriber: links.subscription?.pc.connectionState,
      layout: links.subscription ? [...links.subscription.layout().values()] : [],
      transceivers: links.subscription?.pc
        .getTransceivers()
        .map((t) => [t.mid, t.currentDirection]),
      decoded: await api.decoded(i),
    };
  },
  callId(i: number): string | undefined {
    return participants[i]!.session.callId;
  },
  /** The feed the speaker view would show large. */
  speaker(i: number): number | undefined {
    return participants[i]!.session.current().speaker;
  },
};

(globalThis as unknown as { sfuTest: typeof api }).sfuTest = api;
