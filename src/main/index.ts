// Composition root of the Electron main process: thin adapters around the Electron-free core
// (src/main/core). Windows, IPC, native notifications and OS wake-ups are wired here.
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  Notification,
  powerMonitor,
  powerSaveBlocker,
  screen,
  session,
  shell,
} from 'electron';
import { DesktopCore } from './core/desktop-core.js';
import { openableExternalUrl } from './core/external-url.js';
import { readJson, writeJsonAtomic } from './core/json-file.js';
import {
  parseDeepLink,
  permissionAllowed,
  restoreBounds,
  trayState,
  type Rect,
} from './core/shell-policy.js';
import { wsSocketFactory } from './core/ws-socket.js';
import { serveIpc } from './electron/ipc.js';
import { serveScreenPicker } from './electron/screen-picker.js';
import { safeStorageSecrets } from './electron/secret-store.js';
import { createTray } from './electron/tray.js';
import { groupKey } from '../shared/conversation-key.js';

const RENDERER_URL = process.env.ELECTRON_RENDERER_URL;
const RENDERER_FILE = join(import.meta.dirname, '../renderer/index.html');
const RESOURCES = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
let mainWindow: BrowserWindow | undefined;
let windowFile = '';
let core: DesktopCore | undefined;
let awakeBlocker: number | undefined;
/** Deep links that arrived before the core was ready. */
const pendingLinks: string[] = [];

const isRect = (v: unknown): v is Rect =>
  typeof v === 'object' && v !== null && 'width' in v && 'x' in v;

/** Origins compared, not prefixes: `http://localhost:5173.evil.example` is not ours (L15). */
function isOurPage(url: string): boolean {
  try {
    return RENDERER_URL
      ? new URL(url).origin === new URL(RENDERER_URL).origin
      : new URL(url).protocol === 'file:';
  } catch {
    return false;
  }
}

function createWindow(): BrowserWindow {
  const saved = windowFile ? readJson<Rect | undefined>(windowFile, undefined, isRect) : undefined;
  const bounds = restoreBounds(
    saved,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  // electronegativity-justified AUXCLICK_JS_CHECK: middle-clicks and window.open both reach
  // setWindowOpenHandler below, which denies every new window; will-navigate is prevented.
  const win = new BrowserWindow({
    ...bounds,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Parley',
    webPreferences: {
      // electronegativity-justified PRELOAD_JS_CHECK: the preload (src/preload/index.ts) runs
      // sandboxed and exposes one named function per IPC channel; no ipcRenderer, no Node.
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // No new windows, ever. A safe link (http, https, mailto) goes to the OS browser instead.
  win.webContents.setWindowOpenHandler(({ url }) => {
    void openOutside(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event) => event.preventDefault());
  win.on('close', () => {
    if (windowFile && !win.isMinimized()) writeJsonAtomic(windowFile, win.getNormalBounds());
  });
  win.on('closed', () => (mainWindow = undefined));
  if (RENDERER_URL) void win.loadURL(RENDERER_URL);
  else void win.loadFile(RENDERER_FILE);
  return win;
}

function focusWindow(): void {
  mainWindow ??= createWindow();
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/** Focuses the window and hands an accepted parley:// link to the page; others are dropped. */
function openDeepLink(raw: string): void {
  const link = parseDeepLink(raw);
  if (!link || !core) {
    if (link) pendingLinks.push(raw);
    return;
  }
  focusWindow();
  const account = core.listAccounts().find((a) => a.serverUrl === link.server);
  if (account && link.action === 'open') core.openConversation(account.id, link.conversation);
  if (account && link.action === 'join') void confirmJoin(account.id, link);
}

/**
 * Any web page can open a parley:// link, so a join waits for the person's yes (review L9):
 * joining shows them to the group, whose members may then message and ring them.
 */
async function confirmJoin(
  accountId: string,
  link: { server: string; group: string; invite?: string },
): Promise<void> {
  const { response } = await dialog.showMessageBox({
    type: 'question',
    buttons: ['Join', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    title: 'Join a group?',
    message: `Join #${link.group} on ${link.server}?`,
    detail: 'Its members will see you, and can message and call you. You can leave at any time.',
  });
  if (response !== 0 || !core) return;
  const params = { group: link.group, ...(link.invite ? { invite: link.invite } : {}) };
  await core.request(accountId, 'join', params).then(
    () => core?.openConversation(accountId, groupKey(link.group)),
    () => undefined,
  );
}

/** The one door to the OS's URL handlers: only what checkExternalUrl accepts gets through. */
async function openOutside(raw: string): Promise<void> {
  const url = openableExternalUrl(raw);
  if (url === null) return;
  // electronegativity-justified OPEN_EXTERNAL_JS_CHECK: url passed openableExternalUrl (http,
  // https, mailto; no lookalikes or hidden user names), the only way here.
  await shell.openExternal(url);
}

/** The packaged app's id (electron-builder.yml): Windows ties toasts and their clicks to it. */
const APP_ID = 'org.parley.desktop';

async function main(): Promise<void> {
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  await app.whenReady();
  const dataDir = app.getPath('userData');
  windowFile = join(dataDir, 'window.json');
  // Camera, microphone and screen capture for our page, nothing else for anyone.
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) =>
    callback(permissionAllowed(permission, contents.getURL(), isOurPage)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, origin) =>
    permissionAllowed(permission, origin, isOurPage),
  );
  const answerScreenRequest = serveScreenPicker(session.defaultSession, () => core);
  const desktop = new DesktopCore({
    screenChosen: answerScreenRequest,
    dataDir,
    secrets: safeStorageSecrets(dataDir),
    socketFactory: wsSocketFactory,
    appInfo: {
      name: app.getName(),
      version: app.getVersion(),
      platform: process.platform,
      // npm start runs a local server beside the app and says where; otherwise the usual place.
      defaultServer: process.env.PARLEY_DEFAULT_SERVER ?? 'http://127.0.0.1:7420',
    },
    openExternal: openOutside,
    notify: (n) => {
      if (!Notification.isSupported()) return;
      // hasReply: an answer field in the notification where the OS has one (macOS).
      const note = new Notification({
        title: n.title,
        body: n.body,
        hasReply: true,
        replyPlaceholder: 'Reply',
      });
      note.on('click', () => {
        focusWindow();
        desktop.openConversation(n.accountId, n.conversation);
      });
      note.on('reply', (_event, reply) =>
        desktop.replyFromNotification(n.accountId, n.conversation, reply),
      );
      note.show();
    },
    keepAwake: (on) => {
      if (on && awakeBlocker === undefined)
        awakeBlocker = powerSaveBlocker.start('prevent-display-sleep');
      if (!on && awakeBlocker !== undefined) {
        powerSaveBlocker.stop(awakeBlocker);
        awakeBlocker = undefined;
      }
    },
    setStartAtLogin: (on) => app.setLoginItemSettings({ openAtLogin: on }),
  });
  core = desktop;
  serveIpc(desktop, () => mainWindow, isOurPage);
  const tray = createTray(RESOURCES, {
    open: focusWindow,
    doNotDisturb: () => desktop.getSettings().doNotDisturb,
    setDoNotDisturb: (on) => void desktop.setSettings({ doNotDisturb: on }),
    quit: () => app.quit(),
  });
  // One unread count, owned by the core, drives the tray and the badge.
  const refreshTray = () => {
    tray.show(
      trayState(
        desktop.listAccounts().map((a) => a.status),
        desktop.totalUnread,
      ),
    );
    app.setBadgeCount(desktop.totalUnread);
  };
  desktop.on('unread:changed', refreshTray);
  desktop.on('account:status', refreshTray);
  // Back from sleep or the lock screen, sockets may be dead without knowing it: check now.
  powerMonitor.on('resume', () => desktop.nudge());
  powerMonitor.on('unlock-screen', () => desktop.nudge());
  mainWindow = createWindow();
  await desktop.start();
  app.on('activate', focusWindow);
  app.on('before-quit', () => {
    tray.dispose();
    desktop.dispose();
  });
  for (const link of pendingLinks.splice(0)) openDeepLink(link);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  // electronegativity-justified PROTOCOL_HANDLER_JS_CHECK: parley:// links only open a
  // conversation or join a group, parsed against a schema (parseDeepLink); nothing else runs.
  app.setAsDefaultProtocolClient('parley');
  // macOS delivers links here; Windows and Linux start a second instance with the link in argv.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openDeepLink(url);
  });
  app.on('second-instance', (_event, argv) => {
    focusWindow();
    const link = argv.find((a) => a.startsWith('parley://'));
    if (link) openDeepLink(link);
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  void main();
}
