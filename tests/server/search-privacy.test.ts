// A removed message's words leave the SQLite file too, not only the search results: FTS5 keeps
// their bytes in its segments until they are merged, which the hourly purge does (review H2).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteSyncStore } from '../../src/server/store/sqlite/index.js';
import { tempDir } from '../helpers/test-server.js';

describe('search index and removed messages', () => {
  it('finds a message until it is removed; the purge then rewrites its words out of the file', () => {
    const file = join(tempDir(), 'parley.db');
    const store = openSqliteSyncStore(file);
    const post = (clientMsgId: string, text: string) =>
      store.appendMessage({
        convId: 'group:g',
        sender: { user_id: 'u1', cid: 'c', displayName: 'One' },
        clientMsgId,
        body: { text },
        ts: Date.now(),
      });
    for (let i = 0; i < 50; i++) post(`filler-${i}`, `ordinary words number ${i}`);
    const edited = post('edited', 'quokkapassword was a typo');
    const secret = post('secret', 'the zebracode is 1234');
    const find = (word: string) =>
      store.searchMessages({ convIds: ['group:g'], words: [word], limit: 5 }).length;
    expect(find('zebracode')).toBe(1);
    store.removeMessage(secret.messageId, Date.now());
    store.editMessage(edited.messageId, { text: 'fixed' }, Date.now());
    expect(find('zebracode')).toBe(0);
    expect(find('quokkapassword')).toBe(0);
    const bytes = () => readFileSync(file).toString('latin1');
    // Out of the results at once; still in the index's pages (what the purge is for)...
    expect(bytes()).toContain('zebracode');
    // ...and out of the file after it.
    store.purgeExpired(Date.now());
    expect(bytes()).not.toContain('zebracode');
    expect(bytes()).not.toContain('quokkapassword');
    expect(find('ordinary')).toBe(5);
    store.close();
  });
});
