// The IPC contract between the renderer and the main process: every channel, its arguments and
// its result, in one place. Served by ipcMain in Electron and, later, by the web host over a local
// WebSocket. Runs anywhere: no node, DOM or electron.

export interface AppInfo {
  name: string;
  version: string;
  platform: string;
}

/** Request/response channels: renderer asks, main answers. */
export interface InvokeChannels {
  'app:info': { args: []; result: AppInfo };
}
export type InvokeChannel = keyof InvokeChannels;

/** What the preload exposes as `window.parley`: one function per channel, nothing raw. */
export interface ParleyBridge {
  appInfo(): Promise<AppInfo>;
}
