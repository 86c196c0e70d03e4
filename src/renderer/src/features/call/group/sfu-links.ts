// The two WebRTC connections of a call through the SFU: one sending our media (simulcast video,
// so the SFU can give small tiles a small layer), one receiving everyone else's streams
// (multistream: one m-line per stream, renegotiated by the SFU's offers). Both speak to the
// server's `sfu` ops through a port; neither knows who is in the call.
import type { SfuJsep, SfuResultMap, SfuStream } from '../../../../../shared/sfu-protocol';

/** How this page reaches the server's `sfu` request (the desktop bridge, or a test's socket). */
export interface SfuPort {
  request<Op extends keyof SfuResultMap>(
    op: Op,
    params: Record<string, unknown>,
  ): Promise<SfuResultMap[Op]>;
}

/**
 * Video layers, largest first, as many as Chromium really sends for the picture's size: it sends
 * 3 from 960x540 up, 2 from 480x270, 1 below, and drops the smallest layers past that. A layer
 * asked for but never sent would leave a small tile on the large one: the SFU switches down only
 * to a layer that arrives.
 */
export function simulcastLayers(width: number, height: number): RTCRtpEncodingParameters[] {
  const area = width * height;
  if (area >= 960 * 540) {
    return [
      { rid: 'h', maxBitrate: 900_000 },
      { rid: 'm', maxBitrate: 300_000, scaleResolutionDownBy: 2 },
      { rid: 'l', maxBitrate: 100_000, scaleResolutionDownBy: 4 },
    ];
  }
  if (area >= 480 * 270) {
    return [
      { rid: 'h', maxBitrate: 600_000 },
      { rid: 'l', maxBitrate: 150_000, scaleResolutionDownBy: 2 },
    ];
  }
  return [];
}

type Target = 'publisher' | 'subscriber';

/** ICE candidates go after the offer or answer they belong to: queued until then. */
class Trickle {
  private ready = false;
  private queue: (RTCIceCandidateInit | null)[] = [];

  constructor(private readonly send: (candidate: RTCIceCandidateInit | null) => void) {}

  add(candidate: RTCIceCandidateInit | null): void {
    if (this.ready) this.send(candidate);
    else this.queue.push(candidate);
  }

  open(): void {
    this.ready = true;
    for (const c of this.queue.splice(0)) this.send(c);
  }
}

function candidateOf(e: RTCPeerConnectionIceEvent): RTCIceCandidateInit | null {
  if (!e.candidate) return null;
  const { candidate, sdpMid, sdpMLineIndex } = e.candidate;
  return { candidate, sdpMid, sdpMLineIndex };
}

function trickleTo(port: SfuPort, callId: string, target: Target) {
  return (candidate: RTCIceCandidateInit | null) =>
    void port.request('trickle', { callId, target, candidate }).catch(() => undefined);
}

/** Our media to the SFU: audio, and video in layers (simulcastLayers) when `simulcast`. */
export class Publisher {
  readonly pc: RTCPeerConnection;
  private readonly trickle: Trickle;
  private readonly video: RTCRtpTransceiver;
  private readonly audio: RTCRtpTransceiver;
  private screenTransceiver: RTCRtpTransceiver | undefined;

  constructor(
    private readonly port: SfuPort,
    private readonly callId: string,
    iceServers: RTCIceServer[],
    local: MediaStream,
    simulcast: boolean,
  ) {
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.trickle = new Trickle(trickleTo(port, callId, 'publisher'));
    this.pc.onicecandidate = (e) => this.trickle.add(candidateOf(e));
    const audioTrack = local.getAudioTracks()[0];
    const videoTrack = local.getVideoTracks()[0];
    const { width = 0, height = 0 } = videoTrack?.getSettings() ?? {};
    const layers = simulcastLayers(width, height);
    this.audio = this.pc.addTransceiver(audioTrack ?? 'audio', {
      direction: 'sendonly',
      streams: [local],
    });
    this.video = this.pc.addTransceiver(videoTrack ?? 'video', {
      direction: 'sendonly',
      streams: [local],
      ...(simulcast && layers.length > 1 ? { sendEncodings: layers } : {}),
    });
  }

  /** Offers our media; the SFU answers. Again after a screen is added or removed. */
  async publish(): Promise<void> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const { jsep } = await this.port.request('publish', {
      callId: this.callId,
      jsep: { type: 'offer', sdp: offer.sdp },
    });
    await this.pc.setRemoteDescription(jsep);
    this.trickle.open();
  }

  setSending(kind: 'audio' | 'video', on: boolean): void {
    const track = (kind === 'audio' ? this.audio : this.video).sender.track;
    if (track) track.enabled = on;
  }

  /** A shared screen as a stream of its own; answers its mid (shown large to everyone). */
  async shareScreen(track: MediaStreamTrack | null): Promise<string | null> {
    if (track) {
      this.screenTransceiver = this.pc.addTransceiver(track, { direction: 'sendonly' });
    } else if (this.screenTransceiver) {
      this.screenTransceiver.sender.track?.stop();
      this.pc.removeTrack(this.screenTransceiver.sender);
      this.screenTransceiver = undefined;
    }
    await this.publish();
    return this.screenTransceiver?.mid ?? null;
  }

  close(): void {
    this.pc.close();
  }
}

/** Everyone else's streams, one m-line each, as the SFU lays them out. */
export class Subscription {
  readonly pc: RTCPeerConnection;
  private readonly trickle: Trickle;
  /** What each of our m-lines carries (by mid), as the SFU said. */
  private streams = new Map<string, SfuStream>();
  /** Changes go one at a time: each waits for the previous offer to be answered. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly port: SfuPort,
    private readonly callId: string,
    iceServers: RTCIceServer[],
    /** Tracks arrived or moved between m-lines: read `tracks()` again. */
    private readonly onTracks: () => void,
  ) {
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.trickle = new Trickle(trickleTo(port, callId, 'subscriber'));
    this.pc.onicecandidate = (e) => this.trickle.add(candidateOf(e));
    this.pc.ontrack = () => onTracks();
  }

  /**
   * Every receiving m-line's track with whose stream it is. Read from the transceivers after
   * each renegotiation, not from track events: the SFU reuses an m-line a stream left.
   */
  tracks(): { feed: number; feedMid: string; track: MediaStreamTrack }[] {
    const out: { feed: number; feedMid: string; track: MediaStreamTrack }[] = [];
    for (const t of this.pc.getTransceivers()) {
      const stream = t.mid ? this.streams.get(t.mid) : undefined;
      if (!stream || t.currentDirection === 'inactive' || t.currentDirection === 'stopped')
        continue;
      out.push({ feed: stream.feed, feedMid: stream.feedMid, track: t.receiver.track });
    }
    return out;
  }

  /** Whose stream each mid carries now. */
  layout(): ReadonlyMap<string, SfuStream> {
    return this.streams;
  }

  /** Subscribes to `add` and drops `remove`, then answers the SFU's new offer. */
  change(
    add: { feed: number; mid: string }[],
    remove: { feed: number; mid?: string }[],
  ): Promise<void> {
    const next = this.chain.then(async () => {
      if (add.length === 0 && remove.length === 0) return;
      const { jsep, streams } = await this.port.request('subscribe', {
        callId: this.callId,
        add,
        remove,
      });
      this.streams = new Map(streams.map((s) => [s.mid, s]));
      if (jsep) await this.answer(jsep);
      this.onTracks();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Which layer each of our video mids should get: 0-2, or not sent at all. */
  configure(streams: { mid: string; send?: boolean; substream?: number }[]): Promise<void> {
    const next = this.chain.then(async () => {
      if (streams.length === 0) return;
      await this.port.request('configure', { callId: this.callId, streams });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.pc.close();
  }

  private async answer(offer: SfuJsep): Promise<void> {
    await this.pc.setRemoteDescription(offer);
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    await this.port.request('answer', {
      callId: this.callId,
      jsep: { type: 'answer', sdp: answer.sdp },
    });
    this.trickle.open();
  }
}
