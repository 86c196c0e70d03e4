// The conversation header's call buttons. A dm calls its person (peer to peer). A group call
// goes through the server's SFU when it has one (5 to 25 people), joining the group's running
// call if there is one ("Join call, 6 people"); without an SFU it rings the members online as a
// mesh of at most 4, as before.
import { useState } from 'react';
import { useChatStore } from '../../state/use-store';
import { ToolButton } from '../../ui/ToolButton';
import { useGroupCall, useGroupCallStore } from './group/use-group-call';
import { useCall, useCallStore } from './use-call';

export function CallButtons({ userId, name }: { userId: string; name: string }) {
  const calls = useCallStore();
  return <StartCall onCall={(video) => void calls.start(userId, name, video)} />;
}

export function GroupCallButtons({ group }: { group: string }) {
  const calls = useCallStore();
  const groupCalls = useGroupCallStore();
  const { running, session } = useGroupCall();
  const store = useChatStore();
  const [problem, setProblem] = useState<string | null>(null);
  const runningHere = running.get(group);
  const ringMesh = async (video: boolean) => {
    // Whom to ring comes from the member list, which opening the group loads: a click
    // before it arrived waits for it rather than finding no one.
    if (!store.getState().members.has(group)) await store.members.loadMembers(group);
    const { members, presence } = store.getState();
    const me = store.me?.user_id;
    const online = (members.get(group) ?? []).filter(
      (m) => m.user_id !== me && (presence.get(m.user_id)?.status ?? m.status) !== 'offline',
    );
    calls.startGroup(
      group,
      online.map((m) => ({ userId: m.user_id, name: m.displayName })),
      video,
    );
  };
  const start = async (video: boolean, callId?: string) => {
    setProblem(null);
    try {
      // No SFU on this server: a mesh call, which says so past 4 people.
      if (!(await groupCalls.join(group, video, callId))) await ringMesh(video);
    } catch (err) {
      setProblem(err instanceof Error ? err.message : String(err));
    }
  };
  if (runningHere && session?.group !== group) {
    const n = runningHere.count;
    return (
      <>
        <button
          type="button"
          className="primary join-call"
          disabled={session !== undefined}
          onClick={() => void start(runningHere.video ?? true, runningHere.callId)}
        >
          Join call, {n} {n === 1 ? 'person' : 'people'}
        </button>
        {problem && (
          <span role="alert" className="form-error">
            {problem}
          </span>
        )}
      </>
    );
  }
  return (
    <>
      <StartCall onCall={(video) => start(video)} />
      {problem && (
        <span role="alert" className="form-error">
          {problem}
        </span>
      )}
    </>
  );
}

function StartCall({ onCall }: { onCall: (video: boolean) => void | Promise<void> }) {
  const phase = useCall().state.phase;
  const inGroupCall = useGroupCall().session !== undefined;
  const busy = (phase !== 'idle' && phase !== 'ended') || inGroupCall;
  return (
    <>
      <ToolButton label="Call" icon="phone" disabled={busy} onClick={() => void onCall(false)} />
      <ToolButton
        label="Video call"
        icon="video"
        disabled={busy}
        onClick={() => void onCall(true)}
      />
    </>
  );
}
