// One "desktop" for the end-to-end tests: the real desktop core with its own data folder, served
// by the web host, opened in its own Chromium context (its own storage). What `npm run web` runs.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { AccountView } from '../../src/shared/ipc.js';
import { DesktopCore } from '../../src/main/core/desktop-core.js';
import { fileSecrets } from '../../src/main/core/file-secrets.js';
import { wsSocketFactory } from '../../src/main/core/ws-socket.js';
import { startWebHost, type WebHost } from '../../src/main/web-host.js';
import { loopbackIce } from './chromium.js';
import { tempDir } from './test-server.js';
import { until } from './wait.js';

const RENDERER = fileURLToPath(new URL('../../out/renderer', import.meta.url));

/** Records what the page asks the Notification API to show (a string: it runs in the page). */
export const RECORD_NOTIFICATIONS = `
  globalThis.shown = [];
  const Real = globalThis.Notification;
  globalThis.Notification = class extends Real {
    constructor(title, options) {
      super(title, options);
      globalThis.shown.push({ title, body: options && options.body });
    }
  };
`;

export interface DesktopPage {
  core: DesktopCore;
  host: WebHost;
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of the page. */
  errors: string[];
  close(): Promise<void>;
}

export async function openDesktop(
  browser: Browser,
  serverUrl: string,
  opts: {
    recordNotifications?: boolean;
    initScript?: string;
    /** Remote ICE addresses kept besides loopback (this machine's own, for Janus). */
    alsoKeepAddresses?: string[];
  } = {},
): Promise<DesktopPage> {
  const dataDir = tempDir('parley-desktop-');
  const core = new DesktopCore({
    dataDir,
    secrets: fileSecrets(dataDir),
    socketFactory: wsSocketFactory,
    appInfo: { name: 'Parley', version: '0.1.0', platform: 'web', defaultServer: serverUrl },
    openExternal: () => undefined,
    notify: (n) => core.push('notification:show', n),
  });
  await core.start();
  const host = await startWebHost({ core, rendererDir: RENDERER, port: 0 });
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  await context.grantPermissions(['notifications', 'camera', 'microphone'], {
    origin: host.url.replace(/\/$/, ''),
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.addInitScript(loopbackIce(opts.alsoKeepAddresses));
  if (opts.recordNotifications) await page.addInitScript(RECORD_NOTIFICATIONS);
  if (opts.initScript) await page.addInitScript(opts.initScript);
  await page.goto(host.launchUrl);
  return {
    core,
    host,
    context,
    page,
    errors,
    async close() {
      await context.close();
      await host.close();
      core.dispose();
    },
  };
}

/** Makes the page believe its window lost focus, as when the user switches to another app. */
export async function blurWindow(page: Page): Promise<void> {
  // Headless Chromium reports every page focused; this is the OS taking focus away.
  await page.evaluate('document.hasFocus = () => false; window.dispatchEvent(new Event("blur"));');
}

export async function focusWindow(page: Page): Promise<void> {
  await page.evaluate('document.hasFocus = () => true; window.dispatchEvent(new Event("focus"));');
}

export function screenshotPath(name: string): string {
  return join(fileURLToPath(new URL('../..', import.meta.url)), 'test-results', `${name}.png`);
}

/**
 * Makes an account on the server through this desktop's core (as the sign-in screen would) and
 * waits until its connection is online. Faster than the UI for tests about something else.
 */
export async function signUpThroughCore(
  desk: DesktopPage,
  serverUrl: string,
  username: string,
  password: string,
  displayName: string,
): Promise<AccountView> {
  const account = await desk.core.signUp(serverUrl, username, password, displayName);
  await until(() => desk.core.listAccounts()[0]?.status.state === 'online', 'online', 10_000);
  return account;
}

/** A desktop of its own, signed up through its core and a member of `groups`. */
export async function teamDesktop(
  browser: Browser,
  serverUrl: string,
  person: { username: string; displayName: string; groups: string[] },
  opts: Parameters<typeof openDesktop>[2] = {},
): Promise<{ desk: DesktopPage; accountId: string }> {
  const desk = await openDesktop(browser, serverUrl, opts);
  const { username, displayName } = person;
  const account = await signUpThroughCore(desk, serverUrl, username, 'team password', displayName);
  for (const group of person.groups) await desk.core.request(account.id, 'join', { group });
  return { desk, accountId: account.id };
}

/** Waits until the locator is visible (Playwright's own wait), failing with what was awaited. */
export async function seen(locator: Locator, timeout = 15_000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout });
}

/** Picks `item` in the conversation header's More menu (Mute, Add people…, Leave…). */
export async function moreAction(page: Page, item: string): Promise<void> {
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: item }).click();
}

/** Opens the More menu, waits for `item` to be offered, and closes it again. */
export async function moreOffers(page: Page, item: string): Promise<void> {
  await page.getByRole('button', { name: 'More actions' }).click();
  await seen(page.getByRole('menuitem', { name: item }));
  await page.keyboard.press('Escape');
}

/** Opens the account's menu (status, Settings, Sign out) at the top of the sidebar, if closed. */
export async function openAccountMenu(page: Page): Promise<void> {
  const button = page.locator('.account-button');
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click();
}
