// The page's group call through the server's SFU: at most one at a time, beside (never during)
// a 1:1 or mesh call of CallStore. It opens the camera and microphone, runs an SfuSession over
// the desktop bridge (`calls:sfu`), follows the server's news of it (`sfu:event`) and of every
// group's running call (`call:state`: the "Join call, 6 people" button), and holds what the
// call's UI shows: layout, page, raised hand, participant list.
import type { ParleyBridge } from '../../../../../shared/ipc';
import type { SfuCallState, SfuEventData, SfuResultMap } from '../../../../../shared/sfu-protocol';
import {
  sfuCallStateSchema,
  sfuEventSchema,
  sfuResultSchemas,
} from '../../../../../shared/sfu-wire';
import { ActionError } from '../../../state/invoke';
import { StoreBase, type Scheduler } from '../../../state/store-base';
import type { CallHost } from '../call-host';
import { openMedia, pickScreen } from '../media';
import type { SfuPort } from './sfu-links';
import type { Quality, SfuSession, SfuSessionView } from './sfu-session';

// The call's WebRTC code loads with the first group call, not with the app (as the mesh's does).
const loadSession = () => import('./sfu-session');

export type GroupLayout = 'grid' | 'speaker';

export interface GroupCallView {
  /** The call this page is in (absent: none). */
  session?: SfuSessionView;
  local?: MediaStream;
  video: boolean;
  muted: boolean;
  cameraOff: boolean;
  hand: boolean;
  sharing: boolean;
  layout: GroupLayout;
  /** The participant list is open. */
  people: boolean;
  /** Someone pinned as the large tile (whoever talks), by feed. */
  pinned?: number;
  /** What went wrong last (joining, sharing), in words. */
  problem?: string;
  /** Each group's running call, by group name (the conversation's "Join call" button). */
  running: ReadonlyMap<string, SfuCallState>;
}

const IDLE: GroupCallView = {
  video: false,
  muted: false,
  cameraOff: false,
  hand: false,
  sharing: false,
  layout: 'grid',
  people: false,
  running: new Map(),
};

export class GroupCallStore extends StoreBase<GroupCallView> {
  private session: SfuSession | undefined;
  /** A join is under way (the camera opening, the call's code loading). */
  private opening = false;
  /** The server has an SFU (learnt from `calls`); undefined until asked. */
  private sfu: boolean | undefined;

  constructor(
    private readonly host: CallHost,
    private readonly bridge: ParleyBridge,
    private readonly ports: {
      media?: Pick<MediaDevices, 'getUserMedia'>;
      schedule?: Scheduler;
    } = {},
  ) {
    super(IDLE, ports.schedule);
  }

  readonly getView = (): GroupCallView => this.state;

  /** Follows the server's call news, and asks again on reconnecting. dispose() stops. */
  listen(): void {
    this.disposables.clear();
    this.disposables.addFn(
      this.bridge.on('server:event', ({ accountId, frame }) => {
        if (accountId !== this.host.accountId()) return;
        // The server is not trusted with the page's state: what does not parse is dropped.
        if (frame.event === 'sfu:event') {
          const parsed = sfuEventSchema.safeParse(frame.data);
          if (parsed.success) this.session?.event(parsed.data as SfuEventData);
        }
        if (frame.event === 'call:state') {
          const parsed = sfuCallStateSchema.safeParse(frame.data);
          if (parsed.success) this.noteRunning(parsed.data);
        }
      }),
    );
    // Connected (again): which calls run now; live changes come as events after that.
    this.disposables.addFn(
      this.bridge.on('account:status', ({ accountId, status }) => {
        if (accountId === this.host.accountId() && status.state === 'online') {
          void this.refreshRunning();
        }
      }),
    );
  }

  override dispose(): void {
    super.dispose();
    this.leave();
  }

  /** Which group calls are running (after connecting, or switching accounts). */
  async refreshRunning(): Promise<void> {
    try {
      const result = await this.request('calls', {});
      this.sfu = true;
      this.set({ running: new Map(result.calls.map((c) => [c.group, c])) });
    } catch (err) {
      if (err instanceof ActionError && err.code === 'SFU_UNAVAILABLE') this.sfu = false;
    }
  }

  /**
   * Starts the group's call or joins the running one. Resolves false when this server has no
   * SFU (the caller falls back to a mesh call); throws ActionError with the reason otherwise.
   */
  async join(group: string, video: boolean, callId?: string): Promise<boolean> {
    if (this.session || this.opening) {
      throw new ActionError('BAD_REQUEST', 'You are in a group call already.');
    }
    this.opening = true;
    try {
      return await this.open(group, video, callId);
    } finally {
      this.opening = false;
    }
  }

  private async open(group: string, video: boolean, callId?: string): Promise<boolean> {
    // A server without an SFU is known before the camera opens: the caller makes a mesh call.
    if (this.sfu === undefined) await this.refreshRunning();
    if (this.sfu === false) return false;
    const opened = await openMedia(this.ports.media ?? navigator.mediaDevices, video);
    if (!opened.ok) throw new ActionError('BAD_REQUEST', `Cannot join the call: ${opened.detail}.`);
    const local = opened.stream;
    const { SfuSession } = await loadSession();
    const session = new SfuSession(this.port(), {
      group,
      video,
      local,
      iceServers: await this.iceServers(),
      ...(callId ? { callId } : {}),
      onChange: (view) => {
        if (this.session === session) this.set({ session: view });
      },
    });
    this.session = session;
    this.put({ ...IDLE, running: this.state.running, local, video, session: session.current() });
    try {
      await session.join();
      void this.host.invoke('calls:keepAwake', { on: true }).catch(() => undefined);
      return true;
    } catch (err) {
      this.stopLocal();
      this.session = undefined;
      this.put({ ...IDLE, running: this.state.running });
      if (err instanceof ActionError && err.code === 'SFU_UNAVAILABLE') {
        return false;
      }
      throw err;
    }
  }

  leave(): void {
    const session = this.session;
    if (!session) return;
    this.session = undefined;
    session.leave();
    this.stopLocal();
    void this.host.invoke('calls:keepAwake', { on: false }).catch(() => undefined);
    // Everything of the call goes (put, not set: a patch would keep the old session).
    this.put({ ...IDLE, running: this.state.running });
  }

  setMuted(muted: boolean): void {
    this.session?.setMuted(muted);
    this.set({ muted });
  }

  setCameraOff(off: boolean): void {
    this.session?.setCameraOff(off);
    this.set({ cameraOff: off });
  }

  setHand(up: boolean): void {
    this.session?.setHand(up);
    this.set({ hand: up });
  }

  async toggleScreen(): Promise<void> {
    if (!this.session) return;
    if (this.state.sharing) {
      await this.session.shareScreen(null);
      this.set({ sharing: false });
      return;
    }
    try {
      const screen = await pickScreen();
      const track = screen?.getVideoTracks()[0];
      if (!track) return;
      // The browser's own "Stop sharing" ends it too.
      track.addEventListener('ended', () => {
        if (this.state.sharing) void this.toggleScreen();
      });
      await this.session.shareScreen(track);
      this.set({ sharing: true, problem: undefined });
    } catch (err) {
      this.set({ problem: err instanceof Error ? err.message : String(err) });
    }
  }

  setLayout(layout: GroupLayout): void {
    this.set({ layout });
  }

  showPeople(people: boolean): void {
    this.set({ people });
  }

  /** Pins someone as the large tile whoever talks; undefined unpins. */
  pin(feed: number | undefined): void {
    this.set({ pinned: feed });
  }

  /** A tile's need: large, small, or off screen (then nothing is sent for it). */
  setQuality(feed: number, quality: Quality): void {
    this.session?.setQuality(feed, quality);
  }

  private noteRunning(state: SfuCallState): void {
    const running = new Map(this.state.running);
    if (state.ended || state.count === 0) running.delete(state.group);
    else running.set(state.group, state);
    this.set({ running });
  }

  private stopLocal(): void {
    for (const t of this.state.local?.getTracks() ?? []) t.stop();
  }

  private async iceServers(): Promise<RTCIceServer[]> {
    const accountId = this.host.accountId();
    if (!accountId) return [];
    const ice = await this.host.invoke('calls:ice', { accountId }).catch(() => undefined);
    return ice?.iceServers ?? [];
  }

  private port(): SfuPort {
    return { request: (op, params) => this.request(op, params) };
  }

  private request<Op extends keyof SfuResultMap>(
    op: Op,
    params: Record<string, unknown>,
  ): Promise<SfuResultMap[Op]> {
    const accountId = this.host.accountId();
    if (!accountId) return Promise.reject(new ActionError('NO_ACCOUNT', 'Not signed in.'));
    const answer = this.host.invoke('calls:sfu', {
      accountId,
      request: { op, ...params } as never,
    });
    const schema = sfuResultSchemas[op];
    if (!schema) return answer as Promise<SfuResultMap[Op]>;
    return answer.then((result) => {
      const parsed = schema.safeParse(result);
      if (!parsed.success) {
        throw new ActionError('SERVER_ERROR', `The server's answer to ${op} was not understood.`);
      }
      return parsed.data as SfuResultMap[Op];
    });
  }
}
