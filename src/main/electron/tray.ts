// The tray icon and menu; the icon and tooltip come from shellPolicy.trayState.
import { join } from 'node:path';
import { Menu, nativeImage, Tray } from 'electron';
import type { TrayIcon } from '../core/shell-policy.js';

export interface TrayActions {
  open(): void;
  doNotDisturb(): boolean;
  setDoNotDisturb(on: boolean): void;
  quit(): void;
}

export function createTray(resourcesDir: string, actions: TrayActions) {
  const images: Record<TrayIcon, Electron.NativeImage> = {
    normal: nativeImage.createFromPath(join(resourcesDir, 'tray-normal.png')),
    unread: nativeImage.createFromPath(join(resourcesDir, 'tray-unread.png')),
    offline: nativeImage.createFromPath(join(resourcesDir, 'tray-offline.png')),
  };
  const tray = new Tray(images.normal);
  const menu = () =>
    Menu.buildFromTemplate([
      { label: 'Open Parley', click: actions.open },
      {
        label: 'Do Not Disturb',
        type: 'checkbox',
        checked: actions.doNotDisturb(),
        click: (item) => actions.setDoNotDisturb(item.checked),
      },
      { type: 'separator' },
      { label: 'Quit Parley', click: actions.quit },
    ]);
  tray.setContextMenu(menu());
  tray.on('click', actions.open);
  return {
    show(state: { icon: TrayIcon; tooltip: string }) {
      tray.setImage(images[state.icon]);
      tray.setToolTip(state.tooltip);
      tray.setContextMenu(menu());
    },
    dispose: () => tray.destroy(),
  };
}
