// The connections of a call: one WebRTC peer per other person (a mesh), each with its data
// channels (files, the call's chat, game data) and its own connecting and reconnecting
// deadlines. What happens to a connection is reported to the call machine as an input; what
// happens to the call (mute, camera, screen) is applied to every connection.
import type { CallSignal } from '../../../../shared/call-signal';
import type { CallInput, Sender } from './call-machine';
import { CALL_TIMEOUTS, MAX_CALL_SIZE } from './call-machine';
import type { CallView } from './call-types';
import { FileTransfers, type Transfer } from './file-transfer';
import type { Peer } from './peer';

const CLOSE_GRACE_MS = 1_500;
/** Signals from a connection we do not know yet (the roster is on its way): a bounded wait. */
const EARLY_SIGNALS_MAX = 200;

// WebRTC's code loads with the first call, not with the app (it is a third of the bundle); a
// ringing call starts loading it on both sides.
export const loadPeer = () => import('./peer');

/** What the mesh needs of the call store. */
export interface MeshHost {
  /** Reports a connection's news to the call machine. */
  input(i: CallInput): void;
  send(cid: string, signal: CallSignal, callId: string): void;
  ice(): Promise<{ iceServers: RTCIceServer[]; relayOnly: boolean }>;
  /** The call's media as it is now (a connection that joins gets it). */
  media(): Pick<CallView, 'muted' | 'cameraOff' | 'screen'>;
  nameOf(userId: string): string;
  remote(userId: string, stream: MediaStream): void;
  transfers(list: CallView['transfers']): void;
  chatLine(line: CallView['chat'][number]): void;
  /** WebRTC's code (loadPeer in the app). */
  peers: typeof loadPeer;
}

/** The connection to one other person. */
interface Link {
  callId: string;
  userId: string;
  peer?: Peer;
  files?: FileTransfers;
  timer?: ReturnType<typeof setTimeout>;
  /** Connected at least once: the screen and mute state have been applied to it. */
  joined: boolean;
}

export class Mesh {
  /** Connections by the other side's cid. */
  private readonly links = new Map<string, Link>();
  /** Signals from connections not linked yet, by cid (the answer's first ICE candidates). */
  private readonly early = new Map<string, unknown[]>();
  /** Who (by the server's word) sent each early connection's signals. */
  private readonly earlyUser = new Map<string, string>();
  /** Transfer lists by cid; kept after a connection closes (received files stay savable). */
  private readonly transferLists = new Map<string, { name: string; list: Transfer[] }>();

  constructor(private readonly host: MeshHost) {}

  /** Starts loading WebRTC's code (a ringing call does, on both sides). */
  preload(): Promise<unknown> {
    return this.host.peers();
  }

  /** Who sent the signals of connections not linked yet (a roster is checked against it). */
  earlySenders(): ReadonlyMap<string, string> {
    return this.earlyUser;
  }

  /** Connects to one other person; `initiator` makes the offer. */
  link(callId: string, userId: string, cid: string, initiator: boolean, local: MediaStream): void {
    const link: Link = { callId, userId, joined: false };
    this.links.set(cid, link);
    this.deadline(cid, CALL_TIMEOUTS.connectingMs, 'the connection could not be made');
    this.open(cid, link, initiator, local).catch((err: unknown) => {
      if (this.links.get(cid) !== link) return;
      const why = err instanceof Error ? err.message : String(err);
      this.host.input({
        type: 'linkFailed',
        callId,
        cid,
        detail: `the call could not start (${why})`,
      });
    });
  }

  private async open(cid: string, link: Link, initiator: boolean, local: MediaStream) {
    const { callId } = link;
    const [{ createPeer }, ice] = await Promise.all([this.host.peers(), this.host.ice()]);
    const live = () => this.links.get(cid) === link;
    if (!live()) return;
    const hasTurn = ice.iceServers.some((s) =>
      (Array.isArray(s.urls) ? s.urls : [s.urls]).some((u) => u.startsWith('turn')),
    );
    if (ice.relayOnly && !hasTurn) {
      this.host.input({
        type: 'fail',
        callId,
        reason: 'failed',
        detail: 'relay-only calls need a TURN server: add one in Settings, or turn relay-only off',
      });
      return;
    }
    const peer = createPeer({
      initiator,
      stream: local,
      // With no ICE servers, host candidates alone: a LAN or one machine.
      iceServers: ice.iceServers,
      relayOnly: ice.relayOnly,
      on: {
        signal: (data) => {
          if (live()) this.host.send(cid, { kind: 'sdp', data }, callId);
        },
        remoteStream: (remote) => {
          if (live()) this.host.remote(link.userId, remote);
        },
        state: (s) => {
          if (!live()) return;
          if (s === 'connected') {
            this.clearDeadline(link);
            if (!link.joined) this.joined(link, peer);
            this.host.input({ type: 'linkState', callId, cid, state: 'connected' });
          } else if (s === 'reconnecting') {
            this.host.input({ type: 'linkState', callId, cid, state: 'reconnecting' });
            if (!link.timer) {
              this.deadline(
                cid,
                CALL_TIMEOUTS.reconnectingMs,
                'the network dropped and did not come back',
              );
            }
          } else {
            this.host.input({ type: 'linkFailed', callId, cid, detail: 'the connection failed' });
          }
        },
        closed: (reason) => {
          // The other side's "hangup" usually explains a closing connection; it travels through
          // the server and may land a moment after the connection noticed: wait for it briefly.
          setTimeout(() => {
            if (live())
              this.host.input({ type: 'linkClosed', callId, cid, ...(reason ? { reason } : {}) });
          }, CLOSE_GRACE_MS);
        },
      },
    });
    link.peer = peer;
    for (const data of this.early.get(cid) ?? []) peer.signal(data);
    this.early.delete(cid);
    this.earlyUser.delete(cid);
    const name = this.host.nameOf(link.userId);
    link.files = new FileTransfers(peer.channel('file-transfer'), (list) => {
      this.transferLists.set(cid, { name, list });
      this.host.transfers(
        [...this.transferLists.values()].flatMap((t) =>
          t.list.map((x) => ({ ...x, with: t.name })),
        ),
      );
    });
    peer.channel('text-chat').addEventListener('message', (e: MessageEvent) => {
      try {
        const { text } = JSON.parse(String(e.data)) as { text: unknown };
        if (typeof text === 'string' && text.length <= 4000) {
          this.host.chatLine({ mine: false, from: name, text, ts: Date.now() });
        }
      } catch {
        // not ours: ignored
      }
    });
  }

  /** A connection is up for the first time: it gets the call's current mute and screen. */
  private joined(link: Link, peer: Peer): void {
    link.joined = true;
    const { muted, cameraOff, screen } = this.host.media();
    if (muted) peer.setSending('audio', false);
    if (cameraOff) peer.setSending('video', false);
    const track = screen?.getVideoTracks()[0];
    if (track) void peer.shareScreen(track).catch(() => undefined);
  }

  /**
   * An `sdp` signal: to its connection, or kept until that connection exists. A roster binds a
   * connection to a person; the server says who really sent this, so a caller listing their own
   * second connection as someone else is found here (review M3).
   */
  onSdp(callId: string, from: Sender, data: unknown): void {
    const link = this.links.get(from.cid);
    if (link && link.userId !== from.user_id) {
      this.host.input({
        type: 'linkFailed',
        callId,
        cid: from.cid,
        detail: 'that connection belongs to someone else than the caller said',
      });
      return;
    }
    if (!link) {
      const sentBy = this.earlyUser.get(from.cid);
      if (sentBy !== undefined && sentBy !== from.user_id) return;
      this.earlyUser.set(from.cid, from.user_id);
    }
    if (link?.peer) {
      link.peer.signal(data);
    } else if (link || this.early.has(from.cid) || this.early.size < MAX_CALL_SIZE) {
      // Not ready yet (the camera is opening, WebRTC's code is loading, or the roster that names
      // this connection is still on its way): kept for when it is.
      const list = this.early.get(from.cid) ?? [];
      if (list.length < EARLY_SIGNALS_MAX) list.push(data);
      this.early.set(from.cid, list);
    }
  }

  close(cid: string): void {
    const link = this.links.get(cid);
    this.early.delete(cid);
    this.earlyUser.delete(cid);
    if (!link) return;
    this.clearDeadline(link);
    link.peer?.close();
    this.links.delete(cid);
  }

  /** Closes every connection (received files stay until forget). */
  closeAll(): void {
    for (const cid of [...this.links.keys()]) this.close(cid);
    this.early.clear();
    this.earlyUser.clear();
  }

  /** Forgets the files of the call (their object URLs are the store's to revoke). */
  forget(): void {
    this.transferLists.clear();
  }

  setSending(kind: 'audio' | 'video', on: boolean): void {
    for (const l of this.links.values()) l.peer?.setSending(kind, on);
  }

  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack): Promise<unknown> {
    return Promise.all([...this.links.values()].map((l) => l.peer?.replaceTrack(kind, track)));
  }

  /** The connections up now (screen sharing starts on these; later ones get it on joining). */
  joinedPeers(): Peer[] {
    return [...this.links.values()].flatMap((l) => (l.peer && l.joined ? [l.peer] : []));
  }

  async sendFile(file: File): Promise<void> {
    const files = [...this.links.values()].flatMap((l) => (l.files && l.joined ? [l.files] : []));
    if (files.length === 0) throw new Error('files can be sent once the call is connected');
    await Promise.all(files.map((f) => f.send(file)));
  }

  transfer(id: string, what: 'cancel' | 'accept' | 'decline'): void {
    for (const l of this.links.values()) l.files?.[what](id);
  }

  /** A line of the call's chat to everyone connected; false when no one is. */
  say(text: string): boolean {
    let sent = false;
    for (const l of this.links.values()) {
      const ch = l.peer?.channel('text-chat');
      if (ch?.readyState !== 'open') continue;
      ch.send(JSON.stringify({ text }));
      sent = true;
    }
    return sent;
  }

  /** The connection to one person (the first one in the call by default). */
  peerOf(userId?: string): Peer | undefined {
    const links = [...this.links.values()];
    return (userId ? links.find((l) => l.userId === userId) : links[0])?.peer;
  }

  private deadline(cid: string, ms: number, detail: string): void {
    const link = this.links.get(cid);
    if (!link) return;
    this.clearDeadline(link);
    link.timer = setTimeout(() => {
      link.timer = undefined;
      if (this.links.get(cid) === link) {
        this.host.input({ type: 'linkFailed', callId: link.callId, cid, detail });
      }
    }, ms);
  }

  private clearDeadline(link: Link): void {
    clearTimeout(link.timer);
    link.timer = undefined;
  }
}
