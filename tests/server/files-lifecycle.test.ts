// Security review 3, F4 and F8: a removed message's files are deleted (record and bytes), a
// person's uploads are bounded by a storage quota, and uploads never posted are collected. Runs on
// SQLite, and on PostgreSQL in vitest.postgres.config.ts.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { pngHeader } from '../helpers/pictures.js';
import { tempDir, type TestServer } from '../helpers/test-server.js';
import { testScope } from '../helpers/test-scope.js';
import { until } from '../helpers/wait.js';

const scope = testScope();

async function setup(quota?: number) {
  const dataDir = tempDir();
  const s = await scope.server(
    quota !== undefined ? { limits: { storageQuotaBytes: quota } } : {},
    { dataDir },
  );
  const alice = await scope.client(s, 'alice');
  const bob = await scope.client(s, 'bob');
  await alice.ok('join', { group: 'share' });
  await bob.ok('join', { group: 'share' });
  const { token } = await s.user('alice');
  const upload = async (bytes: Buffer | string, name = 'a.bin') => {
    const res = await s.upload(token, 'group:share', name, bytes);
    return {
      status: res.status,
      json: (await res.json()) as { fileId: string; error: { code: string } },
    };
  };
  const bobToken = (await s.user('bob')).token;
  const download = (fileId: string) =>
    fetch(`${s.url}/v1/files/${fileId}`, { headers: { authorization: `Bearer ${bobToken}` } });
  const onDisk = (fileId: string) =>
    readdirSync(join(dataDir, 'files'), { recursive: true }).some((f) =>
      String(f).endsWith(fileId),
    );
  return { s, alice, bob, upload, download, onDisk, dataDir };
}

it('F4: removing a message deletes its files and their thumbnails, record and bytes', async () => {
  const { alice, upload, download, onDisk } = await setup();
  const file = (await upload('name,salary\nbob,1\n', 'salaries.csv')).json.fileId;
  const thumb = (await upload(pngHeader(32, 32), 'thumb.png')).json.fileId;
  const { messageId } = await alice.ok<{ messageId: string }>('post', {
    to: { group: 'share' },
    body: { text: 'numbers', files: [{ fileId: file, thumbFileId: thumb }] },
    clientMsgId: 'f1',
  });
  expect((await download(file)).status).toBe(200);
  expect(onDisk(file) && onDisk(thumb)).toBe(true);
  // A file belongs to one message: posting it again would outlive a removal.
  const again = await alice.fails('post', {
    to: { group: 'share' },
    body: { text: 'again', files: [{ fileId: file }] },
    clientMsgId: 'f2',
  });
  expect(again.code).toBe('BAD_REQUEST');
  await alice.ok('remove', { messageId });
  expect((await download(file)).status).toBe(404);
  expect((await download(thumb)).status).toBe(404);
  await until(() => !onDisk(file) && !onDisk(thumb), 'the bytes deleted');
});

it('F8: uploads count against a quota, stated at sign-in; removing a message makes room', async () => {
  const { s, alice, upload } = await setup(100_000);
  const auth = alice.frames.find((f) => f.type === 'authresponse') as unknown as {
    limits: { storageQuotaBytes: number };
  };
  expect(auth.limits.storageQuotaBytes).toBe(100_000);
  const first = await upload(Buffer.alloc(60_000));
  expect(first.status).toBe(201);
  const second = await upload(Buffer.alloc(60_000));
  expect(second.status).toBe(413);
  expect(second.json.error.code).toBe('QUOTA_EXCEEDED');
  const { messageId } = await alice.ok<{ messageId: string }>('post', {
    to: { group: 'share' },
    body: { text: 'big', files: [{ fileId: first.json.fileId }] },
    clientMsgId: 'q1',
  });
  await alice.ok('remove', { messageId });
  expect((await upload(Buffer.alloc(60_000))).status).toBe(201);
  // Empty files are not free: each counts 4 KiB (inodes and rows: F8's variant).
  expect(await emptyUploadsTaken(s)).toBe(Math.floor(100_000 / 4096));
});

/** How many empty uploads a new account's quota takes (40 tried). */
async function emptyUploadsTaken(s: TestServer): Promise<number> {
  const { token } = await s.user('tina');
  const tina = await scope.client(s, 'tina');
  let accepted = 0;
  for (let i = 0; i < 40; i++) {
    const res = await s.upload(token, `dm:${tina.userId}`, 'e', '');
    if (res.status !== 201) break;
    accepted++;
  }
  return accepted;
}

it('F8: uploads never posted are collected after the grace period; posted ones stay', async () => {
  const { s, alice, upload, download, onDisk } = await setup();
  const posted = (await upload('kept')).json.fileId;
  const unposted = (await upload('orphan')).json.fileId;
  await alice.ok('post', {
    to: { group: 'share' },
    body: { text: 'a file', files: [{ fileId: posted }] },
    clientMsgId: 'g1',
  });
  // Nothing is older than the grace period yet.
  expect(await s.files.collectUnposted(Date.now() - 60_000)).toBe(0);
  expect(await s.files.collectUnposted(Date.now() + 1)).toBe(1);
  expect((await download(unposted)).status).toBe(404);
  expect(onDisk(unposted)).toBe(false);
  expect((await download(posted)).status).toBe(200);
  expect(onDisk(posted)).toBe(true);
});
