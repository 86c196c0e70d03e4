// Composition root of the Electron main process: thin adapters around the Electron-free core
// (src/main/core). Windows, IPC, native notifications and OS wake-ups are wired here.
import { join } from 'node:path';
import { app, BrowserWindow, Notification, powerMonitor, shell } from 'electron';
import { DesktopCore } from './core/desktop-core.js';
import { wsSocketFactory } from './core/ws-socket.js';
import { serveIpc } from './electron/ipc.js';
import { safeStorageSecrets } from './electron/secret-store.js';

const RENDERER_URL = process.env.ELECTRON_RENDERER_URL;
const RENDERER_FILE = join(import.meta.dirname, '../renderer/index.html');
let mainWindow: BrowserWindow | undefined;

function isOurPage(url: string): boolean {
  return RENDERER_URL ? url.startsWith(RENDERER_URL) : url.startsWith('file://');
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 720,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Parley',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event) => event.preventDefault());
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

async function main(): Promise<void> {
  await app.whenReady();
  const dataDir = app.getPath('userData');
  const core = new DesktopCore({
    dataDir,
    secrets: safeStorageSecrets(dataDir),
    socketFactory: wsSocketFactory,
    appInfo: { name: app.getName(), version: app.getVersion(), platform: process.platform },
    openExternal: (url) => shell.openExternal(url),
    notify: (n) => {
      if (!Notification.isSupported()) return;
      const note = new Notification({ title: n.title, body: n.body });
      note.on('click', () => {
        focusWindow();
        core.openConversation(n.accountId, n.conversation);
      });
      note.show();
    },
  });
  serveIpc(core, () => mainWindow, isOurPage);
  // Back from sleep or the lock screen, sockets may be dead without knowing it: check now.
  powerMonitor.on('resume', () => core.nudge());
  powerMonitor.on('unlock-screen', () => core.nudge());
  mainWindow = createWindow();
  await core.start();
  app.on('activate', focusWindow);
  app.on('second-instance', focusWindow);
  app.on('before-quit', () => core.dispose());
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  void main();
}
