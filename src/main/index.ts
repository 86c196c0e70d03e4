// Composition root of the Electron main process. Thin: windows and IPC wiring only; the logic
// (realtime client, state, notification policy) belongs in src/main/core, without electron.
import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { AppInfo } from '../shared/ipc.js';

const RENDERER_URL = process.env.ELECTRON_RENDERER_URL;

/** The renderer is untrusted: only our own top frame may call main. */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  const ours = RENDERER_URL ? url.startsWith(RENDERER_URL) : url.startsWith('file://');
  return ours && event.senderFrame === event.sender.mainFrame;
}

function createWindow(): void {
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
  if (RENDERER_URL) void win.loadURL(RENDERER_URL);
  else void win.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

ipcMain.handle('app:info', (event): AppInfo => {
  if (!fromOurWindow(event)) throw new Error('FORBIDDEN: unknown sender');
  return { name: app.getName(), version: app.getVersion(), platform: process.platform };
});

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(createWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}
