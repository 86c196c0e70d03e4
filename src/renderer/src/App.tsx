// The app: one ChatStore over the bridge (Electron's preload or the web host), the screens, the
// dialogs and the keyboard shortcuts.
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import type { ParleyBridge } from '../../shared/ipc';
import type { BridgeProblem } from './bridge';
import { SignIn } from './features/auth/SignIn';
import { chatCallHost } from './features/call/call-host';
import { CallStore } from './features/call/call-store';
import { CallPanel } from './features/call/CallPanel';
import { ScreenPicker } from './features/call/ScreenPicker';
import { CallContext } from './features/call/use-call';
import { GroupCallStore } from './features/call/group/group-call-store';
import {
  GroupCallContext,
  useGroupCall,
  useGroupCallStore,
} from './features/call/group/use-group-call';
import { ChatView } from './features/chat/ChatView';
import { showBrowserNotifications } from './features/notifications/browser-notifications';
import { NewMessageDialog } from './features/people/NewMessageDialog';
import { ProfileCard } from './features/people/ProfileCard';
import { ProfileCardContext, type PersonRef } from './features/people/profile-card-context';
import { Sidebar } from './features/sidebar/Sidebar';
import { useConversationKeys } from './features/sidebar/use-conversation-keys';
import { QuickSwitcher } from './features/switcher/QuickSwitcher';
import { pageUploader } from './features/files/transfers';
import { ChatStore } from './state/chat-store';
import { ErrorBoundary } from './ui/ErrorBoundary';
import { useDensity, useTheme } from './ui/use-theme';
import { EmptyState } from './ui/EmptyState';
import { ToastRegion } from './ui/Toast';
import { ToastContext, Toasts } from './ui/toasts';
import { StoreContext, useChatStore, useStore } from './state/use-store';

// Opened now and then, not at start: fetched when first opened, to keep the first load small.
const GroupBrowser = lazy(() =>
  import('./features/groups/GroupBrowser').then((m) => ({ default: m.GroupBrowser })),
);
// A group call's panel loads with the first group call.
const GroupCallPanel = lazy(() =>
  import('./features/call/group/GroupCallPanel').then((m) => ({ default: m.GroupCallPanel })),
);
const SettingsDialog = lazy(() =>
  import('./features/settings/SettingsDialog').then((m) => ({ default: m.SettingsDialog })),
);

type Open = 'groups' | 'settings' | 'switcher' | 'new-message' | null;

export function App({ bridge }: { bridge: ParleyBridge | BridgeProblem }) {
  const store = useMemo(
    () => ('code' in bridge ? null : new ChatStore(bridge, { uploader: pageUploader })),
    [bridge],
  );
  const groupCalls = useMemo(
    () => (store && !('code' in bridge) ? new GroupCallStore(chatCallHost(store), bridge) : null),
    [store, bridge],
  );
  const calls = useMemo(
    () =>
      store && groupCalls && !('code' in bridge)
        ? new CallStore(chatCallHost(store), bridge, {
            // In a group call, a 1:1 or mesh ring is answered busy.
            busyElsewhere: () => groupCalls.getView().session !== undefined,
          })
        : null,
    [store, bridge, groupCalls],
  );
  const [toasts] = useState(() => new Toasts());
  useEffect(() => {
    calls?.listen();
    groupCalls?.listen();
    return () => {
      calls?.dispose();
      groupCalls?.dispose();
    };
  }, [calls, groupCalls]);
  useEffect(() => {
    if (!store || 'code' in bridge) return;
    void store.start();
    const stopNotes = showBrowserNotifications(bridge, (accountId, conversation) => {
      if (accountId !== store.getState().accountId) store.accounts.useAccount(accountId);
      void store.conversations.open(conversation);
    });
    // The browser saw the network come back: every connection checks itself now.
    const online = () => void store.invoke('app:networkChanged', {}).catch(() => undefined);
    window.addEventListener('online', online);
    return () => {
      stopNotes();
      window.removeEventListener('online', online);
      store.dispose();
    };
  }, [store, bridge]);
  if ('code' in bridge || !store || !calls || !groupCalls) {
    return (
      <main className="fatal">
        <h1>Parley</h1>
        <p role="alert">{'code' in bridge ? bridge.message : 'No bridge.'}</p>
      </main>
    );
  }
  return (
    <StoreContext.Provider value={store}>
      <CallContext.Provider value={calls}>
        <GroupCallContext.Provider value={groupCalls}>
          <ToastContext.Provider value={toasts}>
            <ErrorBoundary area="Parley">
              <Screens />
            </ErrorBoundary>
          </ToastContext.Provider>
        </GroupCallContext.Provider>
      </CallContext.Provider>
    </StoreContext.Provider>
  );
}

function Screens() {
  const ready = useStore((s) => s.ready);
  const fatal = useStore((s) => s.fatal);
  const accountId = useStore((s) => s.accountId);
  const groupCalls = useGroupCallStore();
  // The account shown changed: its groups' running calls ("Join call"); reconnecting refreshes
  // them in the store, and live changes come as events.
  useEffect(() => {
    if (accountId) void groupCalls.refreshRunning();
  }, [groupCalls, accountId]);
  useTheme(useStore((s) => s.settings?.theme));
  useDensity(useStore((s) => s.settings?.density));
  if (fatal) {
    return (
      <main className="fatal">
        <h1>Parley</h1>
        <p role="alert">{fatal}</p>
      </main>
    );
  }
  if (!ready)
    return (
      <main className="fatal" aria-busy="true">
        Starting…
      </main>
    );
  if (!accountId) return <SignIn />;
  return <Workspace />;
}

function Workspace() {
  const store = useChatStore();
  const active = useStore((s) => s.active);
  const accountId = useStore((s) => s.accountId);
  const notice = useStore((s) => s.notice);
  const [open, setOpen] = useState<Open>(null);
  // Narrow windows (styles.css): the sidebar is a drawer, opened from the conversation's header
  // and closed by picking a conversation. With none open it is all there is to show.
  // Kept as the conversation it was opened from, so that opening another one closes it.
  const [sidebarFrom, setSidebarFrom] = useState<string | null>(null);
  const sidebarShown = sidebarFrom !== null && sidebarFrom === active;

  // What the user is looking at decides which messages notify.
  useEffect(() => {
    const tell = () =>
      void store
        .invoke('ui:attention', {
          focused: document.hasFocus(),
          ...(accountId ? { accountId } : {}),
          ...(active ? { conversation: active } : {}),
        })
        .catch(() => undefined);
    tell();
    window.addEventListener('focus', tell);
    window.addEventListener('blur', tell);
    return () => {
      window.removeEventListener('focus', tell);
      window.removeEventListener('blur', tell);
    };
  }, [store, accountId, active]);

  useConversationKeys(
    store,
    useCallback(() => setOpen('switcher'), []),
  );
  const [profile, setProfile] = useState<PersonRef | null>(null);

  return (
    <ProfileCardContext.Provider value={setProfile}>
      <div className={`workspace ${sidebarShown || !active ? 'sidebar-shown' : ''}`}>
        <ErrorBoundary area="the sidebar">
          <Sidebar
            onBrowseGroups={() => setOpen('groups')}
            onNewMessage={() => setOpen('new-message')}
            onSettings={() => setOpen('settings')}
            {...(sidebarShown ? { onClose: () => setSidebarFrom(null) } : {})}
          />
        </ErrorBoundary>
        <main className="main">
          <ErrorBoundary area="the call panel">
            <CallPanel />
            <GroupCallPanelWhenInCall />
            <ScreenPicker />
          </ErrorBoundary>
          {active ? (
            <ErrorBoundary area="this conversation" key={active}>
              <ChatView conversation={active} onShowSidebar={() => setSidebarFrom(active)} />
            </ErrorBoundary>
          ) : (
            <div className="welcome">
              <EmptyState
                icon="message"
                title="Welcome to Parley"
                titleAs="h1"
                action={
                  <>
                    <button type="button" className="primary" onClick={() => setOpen('groups')}>
                      Browse groups
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setOpen('new-message')}
                    >
                      New message
                    </button>
                  </>
                }
              >
                <p>
                  Pick a conversation, or browse groups to join one. Press Ctrl+K to jump anywhere.
                </p>
              </EmptyState>
            </div>
          )}
        </main>
        <ToastRegion failure={notice?.message} onDismissFailure={() => store.dismissNotice()} />
        <ErrorBoundary area="the dialog" key={open ?? 'none'}>
          <Suspense>
            {open === 'groups' && <GroupBrowser onClose={() => setOpen(null)} />}
            {open === 'settings' && <SettingsDialog onClose={() => setOpen(null)} />}
          </Suspense>
          {open === 'switcher' && <QuickSwitcher onClose={() => setOpen(null)} />}
          {open === 'new-message' && <NewMessageDialog onClose={() => setOpen(null)} />}
        </ErrorBoundary>
        <ErrorBoundary area="the profile card" key={profile?.userId ?? 'none'}>
          {profile && <ProfileCard person={profile} onClose={() => setProfile(null)} />}
        </ErrorBoundary>
      </div>
    </ProfileCardContext.Provider>
  );
}

function GroupCallPanelWhenInCall() {
  const inCall = useGroupCall().session !== undefined;
  if (!inCall) return null;
  return (
    <Suspense fallback={null}>
      <GroupCallPanel />
    </Suspense>
  );
}
