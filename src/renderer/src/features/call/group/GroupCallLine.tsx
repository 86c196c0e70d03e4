// A group call's line in its conversation (the server stores it): "Ann started a call" with a
// Join button while that call runs, then "Call, 4:12 · 8 people" once it is over.
import { parseConversationKey } from '../../../../../shared/conversation-key';
import type { UiMessage } from '../../../state/messages';
import { formatDuration } from '../../../ui/duration';
import { Icon } from '../../../ui/Icon';
import { useGroupCall, useGroupCallStore } from './use-group-call';

export function GroupCallLine({
  call,
  group: line,
  from,
  conversation,
}: {
  call: NonNullable<UiMessage['call']>;
  group: NonNullable<NonNullable<UiMessage['call']>['group']>;
  from: string;
  conversation: string;
}) {
  const store = useGroupCallStore();
  const { running, session } = useGroupCall();
  const parsed = parseConversationKey(conversation);
  const group = parsed?.kind === 'group' ? parsed.name : undefined;
  const live =
    group !== undefined && line.callId !== undefined && running.get(group)?.callId === line.callId;
  const icon = call.video ? 'video' : 'phone';
  if (line.started) {
    return (
      <p className="call-record">
        <Icon name={icon} />
        {live ? `${from} started a call` : `${from} started a call; it has ended`}
        {live && group && session?.callId !== line.callId && (
          <button
            type="button"
            className="secondary small"
            disabled={session !== undefined}
            onClick={() => void store.join(group, call.video, line.callId).catch(() => undefined)}
          >
            Join
          </button>
        )}
      </p>
    );
  }
  const people = line.people ?? 0;
  return (
    <p className="call-record">
      <Icon name={icon} />
      {`${call.video ? 'Video call' : 'Call'}, ${formatDuration(call.durationMs ?? 0)}`}
      {people > 1 ? ` · ${people} people` : ''}
    </p>
  );
}
