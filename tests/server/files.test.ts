// Attachments (docs/protocol.md "Extension: files"): uploads over HTTP to a conversation, downloads
// for its readers only, messages naming their files, against a real server, real sockets and the
// filesystem BlobStore. Runs on SQLite, and on PostgreSQL in vitest.postgres.config.ts.
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngHeader } from '../helpers/pictures.js';
import type { ProtoClient } from '../helpers/proto-client.js';
import { startTestServer, tempDir, type TestServer } from '../helpers/test-server.js';

const MAX = 1024 * 1024;
let server: TestServer;
const dataDir = tempDir();
let alice: ProtoClient;
let bob: ProtoClient;
let carol: ProtoClient;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  server = await startTestServer({ limits: { maxFileBytes: MAX } }, { dataDir });
  for (const name of ['alice', 'bob', 'carol']) tokens[name] = (await server.user(name)).token;
  alice = await server.client('alice');
  bob = await server.client('bob');
  carol = await server.client('carol');
  await alice.ok('join', { group: 'share' });
  await bob.ok('join', { group: 'share' });
  await carol.ok('join', { group: 'elsewhere' });
});

afterAll(async () => {
  await Promise.all([alice, bob, carol].map((c) => c?.close()));
  await server.stop();
});

function upload(
  who: string,
  conversation: string,
  name: string,
  bytes: Buffer,
  type = 'application/octet-stream',
) {
  const q = new URLSearchParams({ conversation, name });
  return fetch(`${server.url}/v1/files?${q}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': type },
    body: bytes,
  });
}

function download(who: string, fileId: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/v1/files/${fileId}`, {
    headers: { authorization: `Bearer ${tokens[who]}`, ...headers },
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const blobs = () =>
  readdirSync(join(dataDir, 'files'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);

describe('files over HTTP', () => {
  it('a member uploads; another member downloads the same bytes, as a download, never sniffed', async () => {
    const bytes = randomBytes(300_000);
    const res = await upload('alice', 'group:share', 'report.bin', bytes);
    expect(res.status).toBe(201);
    const file = (await res.json()) as { fileId: string; size: number; sha256: string };
    expect(file).toMatchObject({ name: 'report.bin', size: bytes.length, sha256: sha(bytes) });
    const got = await download('bob', file.fileId);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="report.bin"/);
    expect(sha(Buffer.from(await got.arrayBuffer()))).toBe(sha(bytes));
    // A download picks up where it stopped.
    const tail = await download('bob', file.fileId, { range: 'bytes=299000-' });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes 299000-299999/300000`);
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(299_000))).toBe(true);
  });

  it('an image is shown inline; a name is kept safe and given back in full', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const res = await upload('alice', 'group:share', '../../été/photo.png', png, 'IMAGE/PNG');
    const file = (await res.json()) as { fileId: string; name: string; type: string };
    expect(file.name).toBe('.._.._été_photo.png');
    expect(file.type).toBe('image/png');
    const got = await download('alice', file.fileId);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('content-disposition')).toBe(
      `inline; filename=".._.._${'_'}t${'_'}_photo.png"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
    );
    // A type that is not one is stored as bytes.
    const odd = (await (
      await upload('alice', 'group:share', 'x', Buffer.from('x'), 'text/html; <script>')
    ).json()) as { fileId: string; type: string };
    expect(odd.type).toBe('text/html');
    const html = await download('alice', odd.fileId);
    expect(html.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('refuses outsiders, strangers and bad requests with a clear code, keeping nothing', async () => {
    const before = blobs().length;
    const bytes = randomBytes(1000);
    const up = (await (await upload('alice', 'group:share', 'a', bytes)).json()) as {
      fileId: string;
    };
    // Carol is not in #share: she may not fetch it, nor learn that it exists.
    const outsider = await download('carol', up.fileId);
    expect(outsider.status).toBe(404);
    expect(((await outsider.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect((await download('carol', 'f_nosuchfile')).status).toBe(404);
    // Nor upload there.
    const refused = await upload('carol', 'group:share', 'b', bytes);
    expect(refused.status).toBe(403);
    // No token, a bad token.
    const anonymous = await fetch(`${server.url}/v1/files/${up.fileId}`);
    expect(anonymous.status).toBe(401);
    tokens.mallory = 'not-a-token';
    expect((await download('mallory', up.fileId)).status).toBe(401);
    // Larger than the limit, said up front: refused before a byte is stored.
    const big = await upload('alice', 'group:share', 'big', randomBytes(MAX + 1));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toContain(
      `at most ${MAX} bytes`,
    );
    expect((await upload('alice', 'nowhere', 'c', bytes)).status).toBe(400);
    expect((await upload('alice', 'dm:u_nobody', 'c', bytes)).status).toBe(404);
    expect(blobs().length).toBe(before + 1);
  });

  it('an upload cut off midway keeps nothing', async () => {
    const before = blobs().length;
    const q = new URLSearchParams({ conversation: 'group:share', name: 'cut' });
    await new Promise<void>((resolve) => {
      const req = request(`${server.url}/v1/files?${q}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.alice}`,
          'content-length': '100000',
        },
      });
      req.on('error', () => resolve());
      req.on('response', () => resolve());
      req.write(randomBytes(40_000), () => setTimeout(() => req.destroy(), 100));
    });
    // The server notices the closed socket and removes its partial file.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const parts = readdirSync(join(dataDir, 'files'), { recursive: true }).filter((n) =>
        String(n).endsWith('.part'),
      );
      if (parts.length === 0 && blobs().length === before) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(blobs().length).toBe(before);
  });

  it('a dm file is for the two of them only', async () => {
    const bytes = randomBytes(500);
    const up = (await (await upload('alice', `dm:${bob.userId}`, 'for bob', bytes)).json()) as {
      fileId: string;
    };
    expect((await download('bob', up.fileId)).status).toBe(200);
    expect((await download('carol', up.fileId)).status).toBe(404);
  });
});

describe('messages with files', () => {
  async function uploaded(who: string, conversation: string, size = 100) {
    const res = await upload(who, conversation, `${who}.bin`, randomBytes(size));
    return (await res.json()) as { fileId: string };
  }

  it('a post names its files; the server states their name, type and size; an edit keeps them', async () => {
    const a = await uploaded('alice', 'group:share', 1234);
    const thumb = (await (
      await upload('alice', 'group:share', 'alice.bin', pngHeader(32, 32, 10))
    ).json()) as { fileId: string };
    const seen = bob.event<{ body: { files: unknown[] } }>(
      'message:send',
      (d) => (d as { body?: { text?: string } }).body?.text === 'see attached',
    );
    const { messageId } = await alice.ok<{ messageId: string }>('post', {
      to: { group: 'share' },
      body: {
        text: 'see attached',
        files: [
          { fileId: a.fileId, name: 'lies.exe', size: 1, width: 640, height: 480 },
          { fileId: thumb.fileId, thumbFileId: thumb.fileId, width: -3 },
        ],
      },
      clientMsgId: 'files-1',
    });
    const files = (await seen).data.body.files;
    expect(files).toEqual([
      {
        fileId: a.fileId,
        name: 'alice.bin',
        type: 'application/octet-stream',
        size: 1234,
        width: 640,
        height: 480,
      },
      {
        fileId: thumb.fileId,
        name: 'alice.bin',
        type: 'application/octet-stream',
        size: pngHeader(32, 32, 10).length,
        thumbFileId: thumb.fileId,
      },
    ]);
    await alice.ok('edit', { messageId, body: { text: 'see attached (v2)' } });
    const hist = await bob.ok<{ messages: { messageId: string; body: { files: unknown } }[] }>(
      'history',
      { conversation: 'group:share' },
    );
    expect(hist.messages.find((m) => m.messageId === messageId)!.body.files).toEqual(files);
    const changed = await alice.fails('edit', {
      messageId,
      body: { text: 'x', files: [{ fileId: a.fileId }] },
    });
    expect(changed.code).toBe('BAD_REQUEST');
  });

  it('refuses files from elsewhere, of someone else, unknown, or too many', async () => {
    const mine = await uploaded('alice', 'group:share');
    const bobs = await uploaded('bob', 'group:share');
    const dmFile = await uploaded('alice', `dm:${bob.userId}`);
    const cases: unknown[] = [
      [{ fileId: bobs.fileId }], // someone else's upload
      [{ fileId: dmFile.fileId }], // uploaded to another conversation
      [{ fileId: 'f_unknown' }],
      [{ nope: true }],
      'not a list',
      [],
      Array.from({ length: 11 }, () => ({ fileId: mine.fileId })),
    ];
    for (const [i, files] of cases.entries()) {
      const err = await alice.fails('post', {
        to: { group: 'share' },
        body: { text: 'x', files },
        clientMsgId: `bad-files-${i}`,
      });
      expect([i, err.code]).toEqual([i, 'BAD_REQUEST']);
    }
  });
});

describe('profiles: names and pictures', () => {
  const png = pngHeader(256, 256, 2000);
  const putAvatar = (who: string, body: Buffer) =>
    fetch(`${server.url}/v1/users/me/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'image/png' },
      body,
    });

  it('a new picture reaches contacts and is served to anyone signed in; the old one is gone', async () => {
    type Presence = { user_id: string; profile?: { displayName: string; avatar: string | null } };
    const told = bob.event<Presence>(
      'presence:update',
      (d) => d.user_id === alice.userId && !!d.profile?.avatar,
    );
    const res = await putAvatar('alice', png);
    expect(res.status).toBe(200);
    const { avatar } = (await res.json()) as { avatar: string };
    expect(avatar).toMatch(/^av_/);
    expect((await told).data.profile).toEqual({ displayName: 'alice', avatar });
    const got = await fetch(`${server.url}/v1/avatars/${avatar}`, {
      headers: { authorization: `Bearer ${tokens.carol}` },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await got.arrayBuffer()).equals(png)).toBe(true);
    const members = await bob.ok<{ list: { user_id: string; avatar?: string }[] }>('users', {
      group: 'share',
    });
    expect(members.list.find((m) => m.user_id === alice.userId)?.avatar).toBe(avatar);
    // A second picture replaces the first, which is deleted.
    const second = (await (await putAvatar('alice', png)).json()) as { avatar: string };
    const old = await fetch(`${server.url}/v1/avatars/${avatar}`, {
      headers: { authorization: `Bearer ${tokens.carol}` },
    });
    expect(old.status).toBe(404);
    const cleared = bob.event<Presence>(
      'presence:update',
      (d) => d.user_id === alice.userId && d.profile?.avatar === null,
    );
    const removed = await fetch(`${server.url}/v1/users/me/avatar`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens.alice}` },
    });
    expect(removed.status).toBe(200);
    await cleared;
    expect(
      (
        await fetch(`${server.url}/v1/avatars/${second.avatar}`, {
          headers: { authorization: `Bearer ${tokens.carol}` },
        })
      ).status,
    ).toBe(404);
  });

  it('refuses what is not a picture, a large one, strangers, and attachments by that path', async () => {
    const text = await putAvatar('bob', Buffer.from('<svg onload=alert(1)>'));
    expect(text.status).toBe(415);
    expect(((await text.json()) as { error: { code: string } }).error.code).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect((await putAvatar('bob', Buffer.concat([png, randomBytes(600_000)]))).status).toBe(413);
    const anonymous = await fetch(`${server.url}/v1/users/me/avatar`, { method: 'PUT', body: png });
    expect(anonymous.status).toBe(401);
    const file = (await (await upload('bob', 'group:share', 'x.png', png, 'image/png')).json()) as {
      fileId: string;
    };
    const sneaky = await fetch(`${server.url}/v1/avatars/${file.fileId}`, {
      headers: { authorization: `Bearer ${tokens.carol}` },
    });
    expect(sneaky.status).toBe(404);
  });

  it('a new name reaches contacts and signs new messages; older ones keep theirs', async () => {
    type Presence = { user_id: string; profile?: { displayName: string } };
    const told = alice.event<Presence>(
      'presence:update',
      (d) => d.user_id === bob.userId && d.profile?.displayName === 'Bob Builder',
    );
    expect(await bob.ok('profile', { displayName: '  Bob Builder ' })).toEqual({
      displayName: 'Bob Builder',
      avatar: null,
    });
    await told;
    const seen = alice.event<{ from: { displayName: string } }>(
      'message:send',
      (d) => (d as { body?: { text?: string } }).body?.text === 'renamed',
    );
    await bob.ok('post', {
      to: { group: 'share' },
      body: { text: 'renamed' },
      clientMsgId: 'rn-1',
    });
    expect((await seen).data.from.displayName).toBe('Bob Builder');
    expect((await bob.fails('profile', { displayName: '   ' })).code).toBe('BAD_REQUEST');
    expect((await bob.fails('profile', { displayName: 'x'.repeat(65) })).code).toBe('BAD_REQUEST');
  });
});
