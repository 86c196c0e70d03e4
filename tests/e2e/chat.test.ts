// The chat app end to end: two people, each with their own desktop core behind the web host and
// their own Chromium context, talking through a real server (SQLite on disk). Everything is done
// through the UI, the way a user does it; screenshots of the main screens go to test-results/.
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibilityProblems } from '../helpers/axe.js';
import { HAVE_CHROMIUM, CHROMIUM, launchChromium } from '../helpers/chromium.js';
import {
  blurWindow,
  focusWindow,
  openDesktop,
  screenshotPath,
  type DesktopPage,
  moreAction,
  moreOffers,
  openAccountMenu,
  seen,
} from '../helpers/desktop-page.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';
import { freePort } from '../helpers/wait.js';

const PASSWORD = 'correct horse battery';
const SEEN_MS = 10_000;

if (!HAVE_CHROMIUM) {
  console.log(
    `skipping the end-to-end chat tests: no browser at ${CHROMIUM} (apt-get install chromium)`,
  );
}

function composer(page: Page): Locator {
  return page.getByRole('textbox', { name: 'Message' });
}

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** A conversation's row in the sidebar's list, by its name or a part of it (`#team`). */
function sidebarRow(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Conversation list' }).getByRole('button', { name });
}

function message(page: Page, text: string): Locator {
  return page.getByRole('log', { name: 'Messages' }).getByRole('article').filter({ hasText: text });
}

async function signUp(page: Page, username: string, displayName: string): Promise<void> {
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
}

describe.skipIf(!HAVE_CHROMIUM)('chat in two pages through the web host', () => {
  let server: TestServer;
  let port: number;
  const dataDir = tempDir('parley-e2e-server-');
  let browser: Browser;
  let alice: DesktopPage;
  let bob: DesktopPage;

  beforeAll(async () => {
    mkdirSync(screenshotPath('x').replace(/x\.png$/, ''), { recursive: true });
    port = await freePort();
    server = await startTestServer({ port }, { dataDir, keepData: true });
    browser = await launchChromium();
    alice = await openDesktop(browser, server.url);
    bob = await openDesktop(browser, server.url, { recordNotifications: true });
  }, 30_000);

  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await browser?.close();
    await server?.stop();
  });

  it('first run offers the local server and says what went wrong, in words', async () => {
    const a = alice.page;
    await seen(a.getByRole('heading', { name: 'Sign in to Parley' }));
    expect(await a.getByLabel('Server').inputValue()).toBe(server.url);

    await a.getByLabel('Username').fill('nobody');
    await a.getByLabel('Password').fill('not the password');
    await a.getByRole('button', { name: 'Sign in' }).click();
    await seen(a.getByRole('alert').filter({ hasText: 'Wrong username or password.' }));

    const closed = await freePort();
    await a.getByLabel('Server').fill(`http://127.0.0.1:${closed}`);
    await a.getByRole('button', { name: 'Sign in' }).click();
    await seen(a.getByRole('alert').filter({ hasText: `Cannot reach http://127.0.0.1:${closed}` }));
    await a.screenshot({ path: screenshotPath('sign-in-unreachable') });

    await a.getByLabel('Server').fill(server.url);
    await signUp(a, 'alice', 'Alice');
    await seen(a.getByRole('heading', { name: 'Welcome to Parley' }));

    const b = bob.page;
    await signUp(b, 'alice', 'Bob');
    await seen(b.getByRole('alert').filter({ hasText: 'That username is taken; try another.' }));
    await b.getByLabel('Username').fill('bob');
    await b.getByRole('button', { name: 'Create account' }).click();
    await seen(b.getByRole('heading', { name: 'Welcome to Parley' }));
  }, 60_000);

  it('a group created by one and found by the other; messages both ways', async () => {
    const a = alice.page;
    const b = bob.page;
    await a.getByRole('button', { name: 'Browse groups' }).first().click();
    const dialog = a.getByRole('dialog', { name: 'Browse groups' });
    await dialog.getByLabel('New group name').fill('team');
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await seen(a.getByRole('heading', { name: '#team' }));

    await b.getByRole('button', { name: 'Browse groups' }).first().click();
    const browse = b.getByRole('dialog', { name: 'Browse groups' });
    await browse.getByLabel('Group name starts with').fill('te');
    await seen(
      browse.getByRole('listitem').filter({ hasText: '#team' }).filter({ hasText: '1 member' }),
    );
    await browse.screenshot({ path: screenshotPath('group-browser') });
    await browse.getByRole('button', { name: 'Join team' }).click();
    await seen(b.getByRole('heading', { name: '#team' }));

    await send(a, 'hello **bob**, see https://example.org/docs');
    await seen(message(b, 'hello bob'));
    expect(await message(b, 'hello bob').locator('.message-text strong').textContent()).toBe('bob');
    expect(await message(b, 'hello bob').getByRole('link').getAttribute('href')).toBe(
      'https://example.org/docs',
    );

    // Shift+Enter adds a line; Enter sends.
    await composer(b).fill('hi alice');
    await composer(b).press('Shift+Enter');
    await composer(b).pressSequentially('second line');
    await composer(b).press('Enter');
    await seen(message(a, 'second line'));
    expect(await message(a, 'second line').locator('p').first().textContent()).toBe(
      'hi alice\nsecond line',
    );
    // Both members listed, each with a presence dot.
    const members = a.getByRole('complementary', { name: 'Members of team' });
    await seen(
      members.getByRole('listitem').filter({ hasText: 'Bob' }).getByRole('img', { name: 'online' }),
    );
    await a.screenshot({ path: screenshotPath('chat-group') });
  }, 60_000);

  it('a group topic set by one is seen by the other, with lines for joins and the change', async () => {
    const a = alice.page;
    const b = bob.page;
    // Bob joined #team in the last test: Alice's chat says so, at its time.
    await seen(a.getByRole('log').locator('.group-event').filter({ hasText: 'Bob joined' }));
    await a.getByRole('button', { name: 'Set a topic for #team' }).click();
    await a.getByRole('textbox', { name: 'Topic of #team' }).fill('Lunch plans and launches');
    await a.getByRole('textbox', { name: 'Topic of #team' }).press('Enter');
    await seen(a.locator('.topic').filter({ hasText: 'Lunch plans and launches' }));
    await seen(b.locator('.topic').filter({ hasText: 'Lunch plans and launches' }));
    await seen(
      b
        .getByRole('log')
        .locator('.group-event')
        .filter({ hasText: 'Alice set the topic: “Lunch plans and launches”' }),
    );
    await b.screenshot({ path: screenshotPath('group-topic') });
  }, 60_000);

  it('typing, a status change, an edit and a deletion are seen by the other page', async () => {
    const a = alice.page;
    const b = bob.page;
    await composer(b).fill('thinking');
    await seen(a.getByRole('status').filter({ hasText: 'Bob is typing…' }));
    await composer(b).fill('');

    await openAccountMenu(b);
    await b.getByLabel('Status', { exact: true }).selectOption('busy');
    await b.keyboard.press('Escape'); // closes the account menu
    const members = a.getByRole('complementary', { name: 'Members of team' });
    await seen(
      members.getByRole('listitem').filter({ hasText: 'Bob' }).getByRole('img', { name: 'busy' }),
    );

    const mine = message(a, 'hello bob');
    await mine.hover();
    await mine.getByRole('button', { name: 'Edit message' }).click();
    const editor = a.getByRole('textbox', { name: 'Edit message' });
    await editor.fill('hello **bob** (fixed)');
    await editor.press('Enter');
    await seen(message(b, '(fixed)').filter({ hasText: '(edited)' }));

    await message(a, '(fixed)').hover();
    await message(a, '(fixed)').getByRole('button', { name: 'Delete message' }).click();
    // Parley's own dialog (UX-3 gap 10), not the browser's confirm(): Cancel is the first stop.
    const confirm = a.getByRole('dialog', { name: 'Delete this message?' });
    await seen(confirm);
    expect(await a.evaluate('document.activeElement?.textContent')).toBe('Cancel');
    await confirm.screenshot({ path: screenshotPath('delete-confirm') });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await seen(message(b, 'This message was deleted.'));
    expect(await message(b, '(fixed)').count()).toBe(0);
  }, 60_000);

  it('Up in an empty composer edits my last message; Escape goes back to the composer', async () => {
    const a = alice.page;
    const b = bob.page;
    await composer(a).fill('sent with a typo');
    await composer(a).press('Enter');
    await seen(message(b, 'sent with a typo'));
    // Up edits a message the server has acknowledged: on a busy machine Bob can see it before
    // Alice's page hears the ack, so wait for hers to stop saying "Sending…".
    await seen(message(a, 'sent with a typo'));
    await message(a, 'sent with a typo')
      .getByText('Sending…')
      .waitFor({ state: 'detached', timeout: SEEN_MS });
    await composer(a).press('ArrowUp');
    const editor = a.getByRole('textbox', { name: 'Edit message' });
    await seen(editor);
    expect(await editor.inputValue()).toBe('sent with a typo');
    await a.screenshot({ path: screenshotPath('edit-last-with-up') });
    await editor.fill('sent without a typo');
    await editor.press('Enter');
    await seen(message(b, 'sent without a typo').filter({ hasText: '(edited)' }));
    // Focus is back in the composer: Up again opens the same message, Escape closes it.
    expect(await a.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Message');
    await composer(a).press('ArrowUp');
    await seen(editor);
    await editor.press('Escape');
    expect(await editor.count()).toBe(0);
    expect(await a.evaluate('document.activeElement?.getAttribute("aria-label")')).toBe('Message');
    // With text in the composer, Up moves the caret as usual and opens nothing.
    await composer(a).fill('draft');
    await composer(a).press('ArrowUp');
    expect(await editor.count()).toBe(0);
    await composer(a).fill('');
    // The message's own actions are reachable from the keyboard: Shift+Tab from the composer
    // lands on the newest message (the list is one tab stop), Right walks its buttons.
    const focused = () => a.evaluate('document.activeElement?.getAttribute("aria-label")');
    await a.keyboard.press('Shift+Tab');
    expect(await focused()).toMatch(/^Alice at /);
    for (let i = 0; i < 8 && (await focused()) !== 'Delete message'; i++) {
      await a.keyboard.press('ArrowRight');
    }
    expect(await focused()).toBe('Delete message');
    // Shown while focused (they are only faded out otherwise, so that the keys can reach them).
    // (It fades in: wait for the end of the fade.)
    await expect
      .poll(() =>
        a.evaluate('getComputedStyle(document.activeElement.closest(".message-actions")).opacity'),
      )
      .toBe('1');
    await a.keyboard.press('ArrowLeft');
    expect(await focused()).toBe('Edit message');
    await a.keyboard.press('Enter');
    await seen(editor);
    await editor.press('Escape');
  }, 60_000);

  it('reactions: picked by mouse and by keyboard, counted with names, taken back by a click', async () => {
    const a = alice.page;
    const b = bob.page;
    await send(b, 'who is in for lunch?');
    const onA = message(a, 'who is in for lunch?');
    await seen(onA);
    await onA.hover();
    await onA.getByRole('button', { name: 'React with an emoji' }).click();
    await a
      .getByRole('dialog', { name: 'Pick a reaction' })
      .getByRole('button', { name: 'React with thumbs up' })
      .click();
    const onB = message(b, 'who is in for lunch?');
    // Bob sees Alice's reaction, with her name.
    const thumbsOnB = onB.getByRole('button', { name: /^👍 1: Alice$/ });
    await seen(thumbsOnB);
    // Bob adds his own by keyboard: to the message, its actions, Enter, arrows, Enter.
    await onB.focus();
    await onB.getByRole('button', { name: 'React with an emoji' }).focus();
    await b.keyboard.press('Enter');
    await b.keyboard.press('ArrowRight'); // heart
    await b.keyboard.press('Enter');
    await seen(onA.getByRole('button', { name: /^❤️ 1: Bob$/ }));
    // He also joins the thumbs up by clicking the chip: 2, pressed for him.
    await thumbsOnB.click();
    const both = onA.getByRole('button', { name: /^👍 2: you and Bob/ });
    await seen(both);
    await seen(onB.getByRole('button', { name: /^👍 2: Alice and you/, pressed: true }));
    await a.screenshot({ path: screenshotPath('reactions') });
    // Alice takes hers back: 1, Bob's.
    await onA.getByRole('button', { name: /^👍 2/ }).click();
    await seen(onB.getByRole('button', { name: /^👍 1: you/ }));
    await seen(onA.getByRole('button', { name: /^👍 1: Bob$/, pressed: false }));
    // Any emoji by name: typing in the picker searches (the list loads on first use).
    await onA.hover();
    await onA.getByRole('button', { name: 'React with an emoji' }).click();
    await a.keyboard.type('tada');
    await a
      .getByRole('dialog', { name: 'Pick a reaction' })
      .getByRole('button', { name: 'React with tada' })
      .click();
    await seen(onB.getByRole('button', { name: /^🎉 1: Alice$/ }));
    // And in the composer, :shortcode: offers the emoji; Enter puts it in.
    await composer(a).pressSequentially('well done :tad');
    await seen(a.getByRole('listbox', { name: 'Emoji' }).getByRole('option', { name: /:tada:/ }));
    await composer(a).press('Enter');
    expect(await composer(a).inputValue()).toBe('well done 🎉');
    await composer(a).fill('');
  }, 60_000);

  it('replies: a quote answers a message; a thread opens beside the chat with its own unread count', async () => {
    const a = alice.page;
    const b = bob.page;
    await send(b, 'where do we meet?');
    // The question itself, not the answer quoting it.
    const question = message(a, 'where do we meet?').first();
    await seen(question);
    // A reply with a quote, by mouse.
    await question.hover();
    await question.getByRole('button', { name: 'Reply with a quote' }).click();
    await seen(a.locator('.composer').getByRole('status').filter({ hasText: 'Replying to Bob' }));
    await composer(a).fill('at the fountain');
    await composer(a).press('Enter');
    const answer = message(b, 'at the fountain');
    await seen(answer);
    await seen(answer.getByRole('button', { name: /^In reply to Bob ?: where do we meet\?/ }));
    expect(await a.locator('.composer .replying').count()).toBe(0);

    // A thread, by keyboard: the message, its action, then the thread's own composer.
    await question.focus();
    await question.getByRole('button', { name: 'Reply in thread' }).focus();
    await a.keyboard.press('Enter');
    const panelA = a.getByRole('complementary', { name: 'Thread' });
    await seen(panelA);
    const threadComposer = panelA.getByRole('textbox', { name: 'Reply in thread' });
    await threadComposer.fill('I will bring the map');
    await threadComposer.press('Enter');
    await seen(panelA.getByRole('article').filter({ hasText: 'I will bring the map' }));
    // Bob started the thread: his root shows the reply as new, and the reply is not in his list.
    const chip = message(b, 'where do we meet?').getByRole('button', { name: /1 reply/ });
    await seen(chip);
    expect(await chip.textContent()).toContain('1 new');
    expect(await message(b, 'I will bring the map').count()).toBe(0);
    await chip.click();
    const panelB = b.getByRole('complementary', { name: 'Thread' });
    await seen(panelB.getByRole('article').filter({ hasText: 'I will bring the map' }));
    await b.waitForFunction(
      "!document.querySelector('.thread-chip')?.textContent?.includes('new')",
      undefined,
      { timeout: SEEN_MS },
    );
    // Bob answers in the thread; Alice sees it live in hers.
    await panelB.getByRole('textbox', { name: 'Reply in thread' }).fill('perfect, see you at noon');
    await panelB.getByRole('textbox', { name: 'Reply in thread' }).press('Enter');
    await seen(panelA.getByRole('article').filter({ hasText: 'perfect, see you at noon' }));
    await seen(message(a, 'where do we meet?').getByRole('button', { name: /2 replies/ }));
    await b.screenshot({ path: screenshotPath('thread-panel') });
    expect(await accessibilityProblems(b)).toEqual([]);
    // Escape closes the panel; the member list is back.
    await panelB.getByRole('textbox', { name: 'Reply in thread' }).press('Escape');
    await panelB.waitFor({ state: 'detached' });
    await seen(b.getByRole('complementary', { name: 'Members of team' }));
    await panelA.getByRole('button', { name: 'Close the thread' }).click();
    await panelA.waitFor({ state: 'detached' });
  }, 60_000);

  it('search: words found with marks, here and everywhere; a hit is shown in its place', async () => {
    const a = alice.page;
    await a.getByRole('button', { name: 'Search', exact: true }).click();
    const dialog = a.getByRole('dialog', { name: 'Search messages' });
    await dialog.getByRole('combobox', { name: 'Search for' }).fill('FOUNT');
    const hit = dialog.getByRole('option').filter({ hasText: 'at the fountain' });
    await seen(hit);
    expect(await hit.locator('mark').textContent()).toBe('fountain');
    await dialog.screenshot({ path: screenshotPath('search') });
    expect(await accessibilityProblems(a)).toEqual([]);
    await dialog.getByRole('combobox', { name: 'Search for' }).press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await seen(
      a
        .getByRole('log')
        .locator('article[aria-current="true"]')
        .filter({ hasText: 'at the fountain' }),
    );
    // A reply in a thread opens its thread.
    await a.getByRole('button', { name: 'Search', exact: true }).click();
    await dialog.getByRole('combobox', { name: 'Search for' }).fill('map');
    await dialog.getByRole('radio', { name: 'Everywhere' }).check();
    const inThread = dialog.getByRole('option').filter({ hasText: 'in a thread' });
    await seen(inThread);
    await inThread.click();
    const panel = a.getByRole('complementary', { name: 'Thread' });
    await seen(
      panel.locator('article[aria-current="true"]').filter({ hasText: 'I will bring the map' }),
    );
    await panel.getByRole('button', { name: 'Close the thread' }).click();
    // Nothing found says so; a query of no words asks for one.
    await a.getByRole('button', { name: 'Search', exact: true }).click();
    await dialog.getByRole('combobox', { name: 'Search for' }).fill('zebra');
    await seen(dialog.getByRole('status').filter({ hasText: 'Nothing found.' }));
    // The empty result offers the one next step: looking in every conversation.
    await dialog.getByRole('button', { name: 'Search every conversation' }).click();
    expect(await dialog.getByRole('radio', { name: 'Everywhere' }).isChecked()).toBe(true);
    await seen(dialog.getByText('No messages match “zebra”'));
    await dialog.getByRole('combobox', { name: 'Search for' }).fill('?!');
    await seen(dialog.getByRole('status').filter({ hasText: 'Type a word' }));
    await a.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }, 60_000);

  it('Ctrl+K finds people on the server too, and starts a direct message with them', async () => {
    const a = alice.page;
    const carol = await server.post('/v1/users', {
      username: 'carol',
      password: PASSWORD,
      displayName: 'Carol Jones',
    });
    expect(carol.status).toBe(201);
    await a.keyboard.press('Control+K');
    const switcher = a.getByRole('dialog', { name: 'Go to conversation or person' });
    await seen(switcher);
    await a.keyboard.type('jon');
    const person = switcher.getByRole('option').filter({ hasText: 'Carol Jones' });
    await seen(person);
    await switcher.screenshot({ path: screenshotPath('switcher-people') });
    await a.keyboard.press('Enter');
    await seen(a.getByRole('heading', { name: 'Carol Jones' }));
    await send(a, 'hi Carol, welcome');
    await seen(message(a, 'hi Carol, welcome'));
    // Back to the group for the tests that follow.
    await a.keyboard.press('Control+K');
    await a.keyboard.type('team');
    await a.keyboard.press('Enter');
    await seen(a.getByRole('heading', { name: '#team' }));
  }, 60_000);

  it('a direct message: the unread count and a notification while the window is elsewhere', async () => {
    const a = alice.page;
    const b = bob.page;
    await openAccountMenu(b);
    await b.getByLabel('Status', { exact: true }).selectOption('online');
    await b.keyboard.press('Escape');
    await blurWindow(b);
    await a
      .getByRole('complementary', { name: 'Members of team' })
      .getByRole('button', { name: 'Message Bob' })
      .click();
    await seen(a.getByRole('heading', { name: 'Bob' }));
    await send(a, 'psst, a secret');

    await seen(b.getByRole('button', { name: 'Alice, 1 unread' }));
    await b.waitForFunction(() => (globalThis as unknown as { shown: unknown[] }).shown.length > 0);
    expect(await b.evaluate(() => (globalThis as unknown as { shown: unknown[] }).shown)).toEqual([
      { title: 'Alice', body: 'psst, a secret' },
    ]);
    await b.screenshot({ path: screenshotPath('unread-dm') });

    await focusWindow(b);
    await b.getByRole('button', { name: 'Alice, 1 unread' }).click();
    await seen(message(b, 'psst, a secret'));
    await seen(sidebarRow(b, 'Alice'));
    // Bob read it: Alice's page says so under her message.
    await seen(message(a, 'psst, a secret').getByText('Seen'));
    await a.screenshot({ path: screenshotPath('chat-dm') });
  }, 60_000);

  it('mentions: @ offers the members, marks the mention, counts it apart and breaks a mute', async () => {
    const a = alice.page;
    const b = bob.page;
    // Bob mutes #team and reads his dm with Alice.
    await sidebarRow(b, '#team').click();
    await moreAction(b, 'Mute');
    await moreOffers(b, 'Unmute');
    await sidebarRow(b, 'Alice').click();
    await seen(b.getByRole('heading', { name: 'Alice' }));
    const before = await b.evaluate(
      () => (globalThis as unknown as { shown: unknown[] }).shown.length,
    );

    await a.keyboard.press('Control+K');
    await a.keyboard.type('team');
    await a.keyboard.press('Enter');
    await seen(a.getByRole('heading', { name: '#team' }));
    await send(a, 'a plain note nobody is named in');
    // Typing @bo offers Bob; Enter completes it (and does not send).
    await composer(a).fill('');
    await composer(a).pressSequentially('@bo');
    const offer = a.getByRole('listbox', { name: 'Members to mention' });
    await seen(offer.getByRole('option', { name: /Bob/ }));
    await a.screenshot({ path: screenshotPath('mention-autocomplete') });
    await composer(a).press('Enter');
    expect(await composer(a).inputValue()).toBe('@bob ');
    await composer(a).pressSequentially('can you check the map?');
    await composer(a).press('Enter');

    // Bob: #team has 2 unread, 1 of them a mention; the mention notified him though muted.
    const row = b.getByRole('button', { name: '#team, 2 unread, 1 mention, muted' });
    await seen(row);
    await b.waitForFunction(
      (n) => (globalThis as unknown as { shown: unknown[] }).shown.length > n,
      before,
    );
    const shown = await b.evaluate(
      () => (globalThis as unknown as { shown: { body: string }[] }).shown,
    );
    expect(shown.slice(before).map((x) => x.body)).toEqual(['@bob can you check the map?']);
    await b.screenshot({ path: screenshotPath('mention-badge') });
    await row.click();
    const mention = message(b, 'can you check the map?').locator('.mention.mention-me');
    await seen(mention);
    expect(await mention.textContent()).toBe('@bob');
    await seen(b.getByRole('button', { name: '#team, muted', exact: true }));
    await moreAction(b, 'Unmute');
    await moreOffers(b, 'Mute');
    // Both back in their dm, where the tests that follow expect them.
    await sidebarRow(b, 'Alice').click();
    await seen(b.getByRole('heading', { name: 'Alice' }));
    await sidebarRow(a, 'Bob').click();
    await seen(a.getByRole('heading', { name: 'Bob' }));
  }, 60_000);

  it('files: attached by button and by drop, uploaded with progress, an image previewed and viewed, downloaded whole', async () => {
    const a = alice.page;
    const b = bob.page;
    // Alice and Bob are in their dm. A document by the button...
    const doc = Buffer.from(`${'the quarterly numbers\n'.repeat(20_000)}end\n`);
    await a.locator('.chat .composer input[type=file]').setInputFiles({
      name: 'numbers.txt',
      mimeType: 'text/plain',
      buffer: doc,
    });
    const picked = a.getByRole('list', { name: 'Files to send' });
    await seen(
      picked.getByRole('listitem').filter({ hasText: 'numbers.txt' }).filter({ hasText: 'ready' }),
    );
    // ...and an image dropped on the conversation (a real PNG: a shot of the page itself).
    const png = await a.screenshot({ clip: { x: 0, y: 0, width: 400, height: 300 } });
    const dropped = await a.evaluateHandle(`(() => {
      const bytes = Uint8Array.from(atob('${png.toString('base64')}'), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'screen.png', { type: 'image/png' }));
      return dt;
    })()`);
    await a.locator('.chat').dispatchEvent('dragover', { dataTransfer: dropped });
    await a.locator('.chat').dispatchEvent('drop', { dataTransfer: dropped });
    await seen(
      picked.getByRole('listitem').filter({ hasText: 'screen.png' }).filter({ hasText: 'ready' }),
    );
    await a.screenshot({ path: screenshotPath('files-picked') });
    await composer(a).fill('the numbers, and what I see');
    await composer(a).press('Enter');
    await picked.waitFor({ state: 'detached', timeout: SEEN_MS });

    // Bob gets both: the document as a card, the image as its preview.
    const onB = message(b, 'the numbers, and what I see');
    await seen(onB.getByRole('button', { name: 'Download numbers.txt' }));
    const preview = onB.getByRole('button', { name: /^Open the image screen\.png/ });
    await seen(preview.locator('img'));
    await b.waitForFunction(
      "document.querySelector('.image-preview img')?.naturalWidth === 320",
      undefined,
      { timeout: SEEN_MS },
    );
    await b.screenshot({ path: screenshotPath('files-in-chat') });
    const saving = b.waitForEvent('download');
    await onB.getByRole('button', { name: 'Download numbers.txt' }).click();
    const download = await saving;
    expect(download.suggestedFilename()).toBe('numbers.txt');
    const path = await download.path();
    expect(readFileSync(path!).equals(doc)).toBe(true);
    // The viewer shows the whole image at its size.
    await preview.click();
    const viewer = b.getByRole('dialog', { name: 'screen.png' });
    await seen(viewer.getByRole('img', { name: 'screen.png' }));
    await seen(viewer.getByText('400 × 300'));
    expect(await accessibilityProblems(b)).toEqual([]);
    await b.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
  }, 60_000);

  it('shows the offline banner when the server stops; what was written meanwhile arrives once', async () => {
    const a = alice.page;
    const b = bob.page;
    await server.close();
    // The banner in plain words: "Can't reach the server" (or "Offline: …" with a reason).
    const OFFLINE = /Can't reach the server|Offline/;
    await seen(a.getByRole('status').filter({ hasText: OFFLINE }));
    await seen(b.getByRole('status').filter({ hasText: OFFLINE }));
    await send(a, 'written while offline');
    await seen(message(a, 'written while offline').getByText('Sending…'));
    await a.screenshot({ path: screenshotPath('offline') });

    server = await startTestServer({ port }, { dataDir, keepData: true });
    // The page's "Try now" skips the rest of the back-off.
    await a
      .getByRole('button', { name: 'Try now' })
      .click()
      .catch(() => undefined);
    await b
      .getByRole('button', { name: 'Try now' })
      .click()
      .catch(() => undefined);
    await seen(message(b, 'written while offline'), 40_000);
    await message(a, 'written while offline')
      .getByText('Sending…')
      .waitFor({ state: 'detached', timeout: SEEN_MS });
    expect(await a.getByRole('status').filter({ hasText: OFFLINE }).count()).toBe(0);
    // Once on each page, and once on the server.
    expect(await message(a, 'written while offline').count()).toBe(1);
    expect(await message(b, 'written while offline').count()).toBe(1);
    const accountId = alice.core.listAccounts()[0]!.id;
    const dm = await alice.core.history(accountId, {
      conversation: `dm:${bob.core.listAccounts()[0]!.userId}`,
      limit: 200,
    });
    expect(dm.messages.filter((m) => m.body?.text === 'written while offline')).toHaveLength(1);
  }, 90_000);

  it('scrolling up loads older messages without moving what is on screen', async () => {
    const a = alice.page;
    const accountId = alice.core.listAccounts()[0]!.id;
    await alice.core.request(accountId, 'join', { group: 'archive' });
    // 300 stored messages, older than today (straight into the store: the rate limit would
    // make posting them take a while).
    const start = Date.now() - 3 * 86_400_000;
    for (let i = 0; i < 300; i++) {
      await server.store.appendMessage({
        convId: 'group:archive',
        sender: { user_id: 'archivist', cid: 'seed', displayName: 'Archivist' },
        clientMsgId: `old-${i}`,
        body: { text: `old message ${i}` },
        ts: start + i * 60_000,
      });
    }
    // Read up to the end, so it opens at its newest message (unread ones open at the first).
    await alice.core.request(accountId, 'read', { conversation: 'group:archive', seq: 300 });
    await a.getByRole('button', { name: /^#archive/ }).click();
    await seen(message(a, 'old message 299'));
    // The newest page (50) is shown. Scrolling to its top asks for the page before it.
    await a.evaluate(`(() => {
      const list = document.querySelector('.virtual-list');
      list.dispatchEvent(new WheelEvent('wheel', { deltaY: -500, bubbles: true }));
      list.scrollTop = 0;
    })()`);
    // The older page arrives above (rendered just out of sight)...
    await message(a, 'old message 249').waitFor({ state: 'attached', timeout: SEEN_MS });
    // ...and, once the list has settled (a few frames; longer on a busy machine), the message
    // that was at the top is still at the top: had the list jumped, the oldest loaded message
    // would be there and this one 100 messages further down, for good.
    const offset = () =>
      a.evaluate<number | null>(`(() => {
        const list = document.querySelector('.virtual-list').getBoundingClientRect();
        const el = [...document.querySelectorAll('article')].find((x) => x.textContent.includes('old message 250'));
        return el ? Math.round(el.getBoundingClientRect().top - list.top) : null;
      })()`);
    await expect
      .poll(
        async () => {
          const o = await offset();
          return o !== null && o >= 0 && o < 250 ? 'at the top' : `${String(o)} px from the top`;
        },
        { timeout: SEEN_MS },
      )
      .toBe('at the top');
    expect(await message(a, 'old message 150').isVisible()).toBe(false);
    await a.screenshot({ path: screenshotPath('older-messages') });
  }, 60_000);

  it('keyboard: Ctrl+K jumps, Alt+Up/Down moves between conversations, Escape closes', async () => {
    const a = alice.page;
    await a.keyboard.press('Control+K');
    const switcher = a.getByRole('dialog', { name: 'Go to conversation' });
    await seen(switcher);
    await a.keyboard.type('tea');
    await a.keyboard.press('Enter');
    await seen(a.getByRole('heading', { name: '#team' }));
    // One conversation on screen at a time: #team's messages, none of the dm's.
    expect(await a.getByRole('log').count()).toBe(1);
    expect(await message(a, 'psst, a secret').count()).toBe(0);
    // A draft stays with its conversation.
    await composer(a).fill('half a thought');
    await a.keyboard.press('Alt+ArrowDown');
    await seen(a.getByRole('heading', { name: 'Bob' }));
    await seen(message(a, 'psst, a secret'));
    expect(await a.getByRole('log').count()).toBe(1);
    expect(await composer(a).inputValue()).toBe('');
    await a.keyboard.press('Alt+ArrowUp');
    await seen(a.getByRole('heading', { name: '#team' }));
    expect(await composer(a).inputValue()).toBe('half a thought');
    await composer(a).fill('');
    await a.keyboard.press('Control+K');
    await seen(switcher);
    await a.keyboard.press('Escape');
    await switcher.waitFor({ state: 'detached' });
  }, 60_000);

  it('a 500 px wide window: the conversation fills it; members and conversations open on demand', async () => {
    const a = alice.page;
    const b = bob.page;
    const before = a.viewportSize();
    await a.setViewportSize({ width: 500, height: 720 });
    try {
      const members = a.getByRole('complementary', { name: 'Members of team' });
      const list = a.getByRole('complementary', { name: 'Conversations' });
      // The conversation list is a drawer now: open it, pick the group (which closes it, unless
      // the group was open already).
      const show = a.getByRole('button', { name: 'Show conversations' });
      if (await show.isVisible()) await show.click();
      await sidebarRow(a, '#team').click();
      if (await list.isVisible())
        await a.getByRole('button', { name: 'Hide conversations' }).click();
      expect(await members.isVisible()).toBe(false);
      expect(await list.isVisible()).toBe(false);
      // The composer has the width, and works.
      const box = await composer(a).boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      await sidebarRow(b, '#team').click();
      await composer(a).fill('from a narrow window');
      await composer(a).press('Enter');
      await seen(message(b, 'from a narrow window'));
      await a.screenshot({ path: screenshotPath('narrow-chat') });
      // Members: a panel over the chat, and back.
      await a.getByRole('button', { name: 'Members', exact: true }).click();
      await seen(members);
      await a.screenshot({ path: screenshotPath('narrow-members') });
      await a.getByRole('button', { name: 'Hide members' }).click();
      expect(await members.isVisible()).toBe(false);
      // Conversations: a drawer; closing it gives the chat back.
      await a.getByRole('button', { name: 'Show conversations' }).click();
      await seen(list);
      await a.screenshot({ path: screenshotPath('narrow-conversations') });
      await a.getByRole('button', { name: 'Hide conversations' }).click();
      expect(await list.isVisible()).toBe(false);
      // A thread: a panel over the chat, inside the window, with its own composer.
      const question = message(a, 'where do we meet?').first();
      await question.getByRole('button', { name: /replies/ }).click();
      const panel = a.getByRole('complementary', { name: 'Thread' });
      await seen(panel);
      const panelBox = (await panel.boundingBox())!;
      expect(panelBox.width).toBeGreaterThanOrEqual(400);
      expect(panelBox.x + panelBox.width).toBeLessThanOrEqual(500);
      await seen(panel.getByRole('textbox', { name: 'Reply in thread' }));
      await a.screenshot({ path: screenshotPath('narrow-thread') });
      await panel.getByRole('button', { name: 'Close the thread' }).click();
      await panel.waitFor({ state: 'detached' });
      // No part of the page is wider than the window.
      expect(await a.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(500);
    } finally {
      await a.setViewportSize(before ?? { width: 1100, height: 700 });
    }
  }, 60_000);

  it('profile: a new name and a picture, seen by the other page in the member list', async () => {
    const a = alice.page;
    const b = bob.page;
    await sidebarRow(b, '#team').click();
    const members = b.getByRole('complementary', { name: 'Members of team' });
    // No picture yet: initials.
    await seen(members.getByRole('listitem').filter({ hasText: 'Alice' }).locator('span.avatar'));
    await openAccountMenu(a);
    await a.getByRole('button', { name: 'Settings' }).click();
    const settings = a.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Display name').fill('Alice Liddell');
    await settings.getByRole('button', { name: 'Save name' }).click();
    await seen(settings.getByRole('status').filter({ hasText: 'Name saved.' }));
    await seen(members.getByRole('listitem').filter({ hasText: 'Alice Liddell' }));
    const picture = await a.screenshot({ clip: { x: 0, y: 0, width: 300, height: 200 } });
    await settings.locator('input[type=file]').setInputFiles({
      name: 'me.png',
      mimeType: 'image/png',
      buffer: picture,
    });
    await seen(settings.getByRole('status').filter({ hasText: 'Picture saved.' }));
    await seen(settings.getByRole('button', { name: 'Remove picture' }));
    const img = members
      .getByRole('listitem')
      .filter({ hasText: 'Alice Liddell' })
      .locator('img.avatar');
    await seen(img);
    await b.waitForFunction(
      "[...document.querySelectorAll('.members img.avatar')].some((i) => i.naturalWidth === 256)",
      undefined,
      { timeout: SEEN_MS },
    );
    await a.screenshot({ path: screenshotPath('profile-settings') });
    await b.screenshot({ path: screenshotPath('profile-avatar') });
    // Back to "Alice" for the tests that follow.
    await settings.getByLabel('Display name').fill('Alice');
    await settings.getByRole('button', { name: 'Save name' }).click();
    await seen(
      members
        .getByRole('listitem')
        .filter({ hasText: /^Alice/ })
        .filter({ hasNotText: 'Liddell' }),
    );
    await a.keyboard.press('Escape');
    await settings.waitFor({ state: 'detached' });
  }, 60_000);

  it('passes axe-core on the main screens, light and dark, with no console errors', async () => {
    const a = alice.page;
    const problems: string[] = [];
    problems.push(...(await accessibilityProblems(a)));
    await openAccountMenu(a);
    await a.getByRole('button', { name: 'Settings' }).click();
    await seen(a.getByRole('dialog', { name: 'Settings' }));
    problems.push(...(await accessibilityProblems(a)));
    await a.screenshot({ path: screenshotPath('settings') });
    await a.keyboard.press('Escape');
    await a.emulateMedia({ colorScheme: 'dark' });
    problems.push(...(await accessibilityProblems(a)));
    await a.screenshot({ path: screenshotPath('chat-dark') });
    // The high-contrast theme (issue 22), as Settings → Appearance would choose it.
    await a.evaluate(`document.documentElement.dataset.theme = 'contrast'`);
    problems.push(...(await accessibilityProblems(a)));
    await a.screenshot({ path: screenshotPath('chat-contrast') });
    await a.evaluate(`delete document.documentElement.dataset.theme`);

    const fresh = await openDesktop(browser, server.url);
    try {
      await seen(fresh.page.getByRole('heading', { name: 'Sign in to Parley' }));
      problems.push(...(await accessibilityProblems(fresh.page)));
    } finally {
      await fresh.close();
    }
    expect(problems).toEqual([]);
    expect(alice.errors).toEqual([]);
    expect(bob.errors).toEqual([]);
  }, 60_000);
});
