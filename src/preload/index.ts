// The bridge: one named function per IPC channel (chatPost for chat:post), and `on` for the
// listed event channels only. ipcRenderer itself, and the IPC event object (it carries the
// sender), never cross to the page.
import { contextBridge, ipcRenderer } from 'electron';
import { bridgeName, EVENT_CHANNELS, INVOKE_CHANNELS } from '../shared/ipc-channels.js';
import type { ParleyBridge } from '../shared/ipc.js';

const bridge: Record<string, unknown> = {};
for (const channel of INVOKE_CHANNELS) {
  bridge[bridgeName(channel)] = (args: unknown) => ipcRenderer.invoke(channel, args ?? {});
}
const events = new Set<string>(EVENT_CHANNELS);
bridge.on = (channel: string, listener: (value: unknown) => void) => {
  if (!events.has(channel)) throw new Error(`unknown event channel ${channel}`);
  const wrapped = (_event: unknown, value: unknown) => listener(value);
  ipcRenderer.on(channel, wrapped);
  return () => void ipcRenderer.removeListener(channel, wrapped);
};

contextBridge.exposeInMainWorld('parley', bridge as ParleyBridge);
