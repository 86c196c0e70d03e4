// Serves the IPC contract over ipcMain: every call is checked to come from our own window's top
// frame, then parsed and dispatched by the core's handler. Core pushes go to that window.
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../shared/ipc.js';
import type { DesktopCore } from '../core/desktop-core.js';
import { handleInvoke } from '../core/ipc-handler.js';
import { isTrustedSender } from '../core/shell-policy.js';

export function serveIpc(
  core: DesktopCore,
  window: () => BrowserWindow | undefined,
  isOurPage: (url: string) => boolean,
): () => void {
  const isFromOurWindow = (event: IpcMainInvokeEvent) => {
    const win = window();
    return isTrustedSender(
      {
        fromOurWindow: win !== undefined && event.sender === win.webContents,
        isMainFrame: event.senderFrame === event.sender.mainFrame,
        url: event.senderFrame?.url ?? '',
      },
      isOurPage,
    );
  };
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(channel, (event, args: unknown) =>
      isFromOurWindow(event)
        ? handleInvoke(core, channel, args, (err) => console.error(`ipc ${channel} failed`, err))
        : { ok: false, error: { code: 'FORBIDDEN', message: 'unknown sender' } },
    );
  }
  const subs = EVENT_CHANNELS.map((channel) =>
    core.on(channel, (value) => window()?.webContents.send(channel, value)),
  );
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
    for (const s of subs) s.dispose();
  };
}
