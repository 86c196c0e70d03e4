// The gallery's sections, one per component, each in the theme of the column that holds it.
import { useState, type ReactNode } from 'react';
import { PresenceDot, STATUS_WORDS, type DotStatus } from '../features/presence/PresenceDot';
import { AvatarFace } from '../ui/Avatar';
import { Badge } from '../ui/Badge';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Dialog } from '../ui/Dialog';
import { EmptyState } from '../ui/EmptyState';
import { Field } from '../ui/Field';
import { HoverCard } from '../ui/HoverCard';
import { Icon } from '../ui/Icon';
import { Menu } from '../ui/Menu';
import { MessageSkeleton, PeopleSkeleton } from '../ui/Skeleton';
import { Tabs } from '../ui/Tabs';
import { Toast } from '../ui/Toast';
import { useToasts } from '../ui/toasts';
import { IconButton, ToolButton } from '../ui/ToolButton';

function Item({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="gallery-item">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

const PEOPLE: [string, string, DotStatus][] = [
  ['u_ann', 'Ann Smith', 'online'],
  ['u_ben', 'Ben Jones', 'away'],
  ['u_cat', 'Catherine Lee-Montgomery', 'busy'],
  ['u_dan', 'Dan Ortiz', 'offline'],
];

export function GallerySections({ theme }: { theme: string }) {
  const toasts = useToasts();
  const [dialog, setDialog] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [muted, setMuted] = useState(false);
  const [name, setName] = useState('ann smith');
  const nameBad = !/^[a-z0-9_.-]{1,32}$/.test(name);
  return (
    <>
      <Item title="Buttons">
        <div className="gallery-row">
          <button type="button" className="primary">
            Send
          </button>
          <button type="button" className="secondary">
            Cancel
          </button>
          <button type="button" className="danger">
            Delete
          </button>
          <button type="button" className="primary" disabled>
            Disabled
          </button>
        </div>
      </Item>
      <Item title="Icon buttons and toolbars">
        <div className="gallery-row toolbar" role="toolbar" aria-label={`Call (${theme})`}>
          <ToolButton label="Call" icon="phone" onClick={() => undefined} />
          <ToolButton label="Video call" icon="video" onClick={() => undefined} />
          <ToolButton
            label={muted ? 'Unmute microphone' : 'Mute microphone'}
            icon={muted ? 'mic-off' : 'mic'}
            pressed={muted}
            onClick={() => setMuted((m) => !m)}
          />
          <IconButton label="Search messages" icon="search" onClick={() => undefined} />
          <Menu
            label="More actions"
            icon={<Icon name="more" />}
            actions={[
              { label: 'Mute notifications', run: () => undefined },
              { label: 'Leave group', run: () => undefined, danger: true },
            ]}
          />
        </div>
      </Item>
      <Item title="Tabs">
        <Tabs
          label={`Example sections (${theme})`}
          tabs={[
            { id: 'one', label: 'Profile', content: <p>The first tab&apos;s panel.</p> },
            { id: 'two', label: 'Appearance', content: <p>The second tab&apos;s panel.</p> },
            { id: 'three', label: 'Calls', content: <p>The third tab&apos;s panel.</p> },
          ]}
        />
      </Item>
      <Item title="Inputs with inline validation">
        <Field
          label="Username"
          bad={nameBad}
          rule={
            nameBad
              ? 'This username does not fit: use lowercase letters, digits, _ . -'
              : 'Lowercase letters, digits, _ . -'
          }
        >
          {(tie) => <input value={name} onChange={(e) => setName(e.target.value)} {...tie} />}
        </Field>
      </Item>
      <Item title="Avatars with presence, badges">
        <ul className="plain-list gallery-people">
          {PEOPLE.map(([id, person, status]) => (
            <li key={id} className="member">
              <span className="avatar-with-dot">
                <AvatarFace userId={id} name={person} size={28} />
                <PresenceDot status={status} />
              </span>
              <span className="member-line">
                <span className="member-display">{person}</span>
                {id === 'u_ann' && <Badge>Creator</Badge>}
              </span>
              <span className="hint">{STATUS_WORDS[status]}</span>
            </li>
          ))}
        </ul>
        <div className="gallery-row">
          <Badge tone="accent">3</Badge>
          <Badge tone="accent">12</Badge>
          <Badge>Admin</Badge>
          <Badge>Private</Badge>
        </div>
      </Item>
      <Item title="Hover card">
        <HoverCard
          card={
            <div className="member-card">
              <strong>Ben Jones</strong>
              <span className="hint">@ben · Away · back at 3</span>
            </div>
          }
        >
          {(describedBy) => (
            <button type="button" className="secondary" aria-describedby={describedBy}>
              Rest the pointer here
            </button>
          )}
        </HoverCard>
      </Item>
      <Item title="Messages (comfortable or compact)">
        <div className="messages-sample">
          <article className="message with-author" aria-label="Ben Jones at 09:14">
            <header>
              <span className="person">
                <AvatarFace userId="u_ben" name="Ben Jones" size={36} />
                <strong className="author">Ben Jones</strong>
              </span>
              <time>09:14</time>
            </header>
            <div className="message-text">
              <p>Morning all! The build is green again.</p>
            </div>
          </article>
          <article className="message" aria-label="Ben Jones at 09:15">
            <time className="gutter-time" aria-hidden="true">
              09:15
            </time>
            <div className="message-text">
              <p>A second message from the same person hangs under the first.</p>
            </div>
          </article>
        </div>
      </Item>
      <Item title="Dialogs">
        <div className="gallery-row">
          <button type="button" className="secondary" onClick={() => setDialog(true)}>
            Open a dialog
          </button>
          <button type="button" className="secondary" onClick={() => setConfirm(true)}>
            Ask to confirm
          </button>
        </div>
        {dialog && (
          <Dialog
            title="Create a group"
            onClose={() => setDialog(false)}
            footer={
              <>
                <button type="button" className="secondary" onClick={() => setDialog(false)}>
                  Cancel
                </button>
                <button type="button" className="primary" onClick={() => setDialog(false)}>
                  Create
                </button>
              </>
            }
          >
            <p>A title row, a body that scrolls, and the actions in a footer.</p>
          </Dialog>
        )}
        {confirm && (
          <ConfirmDialog
            title="Delete this message?"
            body="It is removed for everyone in the conversation. This cannot be undone."
            action="Delete"
            onConfirm={() => toasts.show('Deleted (not really: this is the gallery).')}
            onClose={() => setConfirm(false)}
          />
        )}
      </Item>
      <Item title="Toasts">
        <div className="gallery-row">
          <button
            type="button"
            className="secondary"
            onClick={() => toasts.show('Invite link copied.')}
          >
            Show a toast
          </button>
        </div>
        <Toast text="Message text copied." tone="info" onDismiss={() => undefined} />
        <Toast text="Not sent: you are offline." tone="error" onDismiss={() => undefined} />
      </Item>
      <Item title="Loading">
        <MessageSkeleton rows={2} label={`Loading messages (${theme})`} />
        <PeopleSkeleton rows={2} label={`Loading members (${theme})`} />
      </Item>
      <Item title="Empty state">
        <EmptyState
          icon="search"
          title="No messages match “quarterly”"
          action={
            <button type="button" className="secondary">
              Search every conversation
            </button>
          }
        >
          <p>Try fewer words, or look in every conversation.</p>
        </EmptyState>
      </Item>
    </>
  );
}
