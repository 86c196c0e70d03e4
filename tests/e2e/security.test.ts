// The security review's client-side findings, end to end: the real renderer in Chromium through
// the web host, a real server, and "Mallory" as a bare protocol client sending what a modified
// client could send. Screenshots go to test-results/.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_CHROMIUM, CHROMIUM, launchChromium } from '../helpers/chromium.js';
import {
  blurWindow,
  openDesktop,
  screenshotPath,
  type DesktopPage,
  signUpThroughCore,
  moreAction,
  openAccountMenu,
  seen,
} from '../helpers/desktop-page.js';
import { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { until } from '../helpers/wait.js';

const SEEN_MS = 10_000;

if (!HAVE_CHROMIUM) {
  console.log(`skipping the end-to-end security tests: no browser at ${CHROMIUM}`);
}

describe.skipIf(!HAVE_CHROMIUM)('what another client sends cannot impersonate or override', () => {
  let server: TestServer;
  let browser: Browser;
  let ann: DesktopPage;
  let ben: DesktopPage;
  let annId: string;
  let benId: string;
  let mallory: ProtoClient;

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
    const desks: DesktopPage[] = [];
    for (const [name, display] of [
      ['ann', 'Ann'],
      ['ben', 'Ben'],
    ] as const) {
      const desk = await openDesktop(browser, server.url, { recordNotifications: true });
      const account = await signUpThroughCore(desk, server.url, name, 'e2e password ok', display);
      await desk.core.request(account.id, 'join', { group: 'lobby' });
      await desk.page.reload();
      await seen(desk.page.getByRole('heading', { name: 'Welcome to Parley' }));
      desks.push(desk);
    }
    [ann, ben] = desks as [DesktopPage, DesktopPage];
    annId = ann.core.listAccounts()[0]!.userId;
    benId = ben.core.listAccounts()[0]!.userId;
    mallory = await server.client('mallory');
    await mallory.ok('join', { group: 'lobby' });
  }, 60_000);

  afterAll(async () => {
    await mallory?.close();
    await ann?.close();
    await ben?.close();
    await browser?.close();
    await server?.stop();
  });

  it('M3: a ring names the caller as the server knows them, and no group they are not in', async () => {
    const a = ann.page;
    await mallory.ok('rtc', {
      user_id: annId,
      callId: 'call-spoof',
      signal: { kind: 'ring', name: 'Your CEO', group: 'board-of-directors', video: true },
    });
    const dialog = a.getByRole('alertdialog', { name: 'Incoming call' });
    await seen(dialog);
    const text = await dialog.textContent();
    expect(text).toContain('mallory is calling');
    expect(text).not.toContain('Your CEO');
    expect(text).not.toContain('board-of-directors');
    await a.screenshot({ path: screenshotPath('security-ring-named-by-server') });
    await dialog.getByRole('button', { name: 'Decline' }).click();
    // The native notification of the ring said the same.
    const shown = (await a.evaluate('globalThis.shown')) as { title: string; body: string }[];
    expect(JSON.stringify(shown)).not.toContain('Your CEO');
  });

  it('M4: a notification is titled with its real sender; its own words are a quoted line', async () => {
    const a = ann.page;
    await blurWindow(a);
    await mallory.ok('post', {
      to: { group: 'lobby' },
      body: { text: 'quick question' },
      clientMsgId: 'm4-e2e',
      notification: {
        title: 'Parley Security Team',
        body: 'Your session expired: sign in again at https://parley-login.example',
        always: true,
      },
    });
    await a.waitForFunction(
      "globalThis.shown.some((n) => (n.body || '').includes('quick question'))",
      undefined,
      { timeout: SEEN_MS },
    );
    const shown = (await a.evaluate('globalThis.shown')) as { title: string; body: string }[];
    const note = shown.find((n) => n.body.includes('quick question'))!;
    expect(note.title).toBe('mallory in lobby');
    expect(note.body).toContain('mallory adds: “Parley Security Team: Your session expired');
  });

  it('D1: a private group is invisible to others and joined with an invite link', async () => {
    const a = ann.page;
    const b = ben.page;
    await a.getByRole('button', { name: 'Browse groups' }).first().click();
    const create = a.getByRole('dialog', { name: 'Browse groups' });
    await create.getByLabel('New group name').fill('board');
    await create.screenshot({ path: screenshotPath('security-create-private-group') });
    await create.getByRole('checkbox', { name: /Private/ }).check();
    await create.getByRole('button', { name: 'Create group' }).click();
    // Security review 3, F3: a private group's name is the one asked for and a random tail.
    await seen(a.getByRole('heading', { name: /^Private group #board-[a-z0-9]{12}$/ }));
    await a.getByRole('textbox', { name: 'Message' }).fill('the secret plan');
    await a.getByRole('textbox', { name: 'Message' }).press('Enter');

    await b.getByRole('button', { name: 'Browse groups' }).first().click();
    const browse = b.getByRole('dialog', { name: 'Browse groups' });
    await browse.getByLabel('Group name starts with').fill('boa');
    await seen(browse.getByText('No groups found.'));
    // Knowing the name asked for is not enough: it makes a public group of one's own (F3).
    await browse.getByLabel('New group name').fill('board');
    await browse.getByRole('button', { name: 'Create group' }).click();
    await seen(b.getByRole('heading', { name: '#board', exact: true }));
    expect(
      await b.getByRole('log', { name: 'Messages' }).getByText('the secret plan').count(),
    ).toBe(0);

    await moreAction(a, 'Add people…');
    const invite = a.getByRole('dialog', { name: /^Add people to #board-/ });
    await invite.getByRole('button', { name: 'Make an invite link' }).click();
    const linkBox = invite.getByLabel('Invite link', { exact: true });
    await seen(linkBox);
    const link = await linkBox.inputValue();
    expect(link).toMatch(/^parley:\/\/join\?server=.+&group=board-[a-z0-9]{12}&invite=[\w-]+$/);
    await invite.screenshot({ path: screenshotPath('security-invite-link') });
    await invite.getByRole('button', { name: 'Close' }).click();

    await b.getByRole('button', { name: 'Browse groups' }).first().click();
    const join = b.getByRole('dialog', { name: 'Browse groups' });
    await join.getByLabel('Invite link', { exact: true }).fill(link);
    await join.getByRole('button', { name: 'Join with link' }).click();
    await seen(b.getByRole('heading', { name: /^Private group #board-[a-z0-9]{12}$/ }));
    await seen(
      b
        .getByRole('log', { name: 'Messages' })
        .getByRole('article')
        .filter({ hasText: 'the secret plan' }),
    );
    await b.screenshot({ path: screenshotPath('security-private-group-joined') });
  }, 60_000);

  it('M11: a password change in Settings ends the other sign-ins and keeps this one', async () => {
    const b = ben.page;
    const elsewhere = await ProtoClient.connect(
      server.wsUrl,
      (
        (await (
          await server.post('/v1/tokens', { username: 'ben', password: 'e2e password ok' })
        ).json()) as { token: string }
      ).token,
    );
    await openAccountMenu(b);
    await b.getByRole('button', { name: 'Settings' }).click();
    const settings = b.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('tab', { name: 'Account' }).click();
    const form = settings.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password', { exact: true }).fill('brand new password');
    await form.getByLabel('New password again').fill('brand new password');
    await form.getByRole('button', { name: 'Change password' }).click();
    await seen(form.getByRole('alert').filter({ hasText: 'The current password is wrong.' }));
    await form.getByLabel('Current password').fill('e2e password ok');
    await form.getByRole('button', { name: 'Change password' }).click();
    await seen(form.getByRole('status').filter({ hasText: 'Password changed.' }));
    await settings.screenshot({ path: screenshotPath('security-password-changed') });
    expect((await elsewhere.closed).code).toBe(4001);
    // This desktop reconnected with its new token.
    await until(
      () => ben.core.listAccounts()[0]?.status.state === 'online',
      'ben back online',
      10_000,
    );
    // Security review 3, F8: the storage quota the server stated, in plain words.
    const files = settings.getByRole('group', { name: 'Files' });
    await seen(files.getByText(/together can take up to 1\.1 GB/));
    for (const [width, scheme] of [
      [1280, 'light'],
      [500, 'dark'],
    ] as const) {
      await b.setViewportSize({ width, height: 800 });
      await b.emulateMedia({ colorScheme: scheme });
      await files.scrollIntoViewIfNeeded();
      await b.screenshot({ path: screenshotPath(`security-storage-quota-${width}-${scheme}`) });
    }
    await b.emulateMedia({ colorScheme: 'light' });
    await b.setViewportSize({ width: 1100, height: 700 });
    await settings.getByRole('button', { name: 'Close' }).click();
    expect(benId).toBeTruthy();
    expect(ann.errors.concat(ben.errors)).toEqual([]);
  }, 30_000);
});
