// The bridge: one named function per IPC channel. ipcRenderer itself never crosses it.
import { contextBridge, ipcRenderer } from 'electron';
import type { ParleyBridge } from '../shared/ipc.js';

const bridge: ParleyBridge = {
  appInfo: () => ipcRenderer.invoke('app:info'),
};

contextBridge.exposeInMainWorld('parley', bridge);
