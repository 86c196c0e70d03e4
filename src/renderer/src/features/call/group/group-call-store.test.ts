// The group-call store in Node over a fake bridge: which calls run (the "Join call" button), and
// a server without an SFU answered before any camera opens (the caller falls back to the mesh).
import { describe, expect, it } from 'vitest';
import type { EventFrame } from '../../../../../shared/protocol';
import type { Answers } from '../../../state/testing/fake-bridge';
import { bridgeInvoke } from '../../../state/invoke';
import { fakeBridge } from '../../../state/testing/fake-bridge';
import type { CallHost } from '../call-host';
import { GroupCallStore } from './group-call-store';

function setup(answers: Answers) {
  const fake = fakeBridge(answers);
  const host: CallHost = {
    invoke: bridgeInvoke(fake.bridge),
    accountId: () => 'a1',
    myName: () => 'Ann',
    knownName: () => undefined,
    inGroup: () => true,
    recordCall: () => undefined,
  };
  let cameras = 0;
  const store = new GroupCallStore(host, fake.bridge, {
    media: {
      getUserMedia: () => {
        cameras++;
        return Promise.reject(new DOMException('no camera here', 'NotFoundError'));
      },
    },
    schedule: (f) => f(),
  });
  return { store, fake, cameras: () => cameras };
}

const state = (data: unknown): EventFrame =>
  ({ type: 'event', event: 'call:state', data }) as EventFrame;

describe('GroupCallStore over a fake bridge', () => {
  it('follows running calls: asked once, then kept by call:state events', async () => {
    const { store, fake } = setup({
      'calls:sfu': () => ({
        calls: [{ group: 'team', callId: 'c1', count: 2, startedAt: 1 }],
      }),
    });
    store.listen();
    await store.refreshRunning();
    expect(store.getView().running.get('team')?.count).toBe(2);
    fake.push('server:event', {
      accountId: 'a1',
      frame: state({ group: 'team', callId: 'c1', count: 6, startedAt: 1 }),
    });
    expect(store.getView().running.get('team')?.count).toBe(6);
    // The server is not trusted: a state that does not parse is dropped.
    fake.push('server:event', {
      accountId: 'a1',
      frame: state({ group: 'team', callId: 'c1', count: 'lots', startedAt: 1 }),
    });
    expect(store.getView().running.get('team')?.count).toBe(6);
    // Another account's news is not this page's.
    fake.push('server:event', {
      accountId: 'a2',
      frame: state({ group: 'ops', callId: 'c2', count: 3, startedAt: 1 }),
    });
    expect(store.getView().running.has('ops')).toBe(false);
    fake.push('server:event', {
      accountId: 'a1',
      frame: state({
        group: 'team',
        callId: 'c1',
        count: 0,
        startedAt: 1,
        ended: { durationMs: 5 },
      }),
    });
    expect(store.getView().running.has('team')).toBe(false);
    store.dispose();
    expect(fake.listeners()).toBe(0);
  });

  it('without an SFU, join answers false before opening the camera', async () => {
    const { store, cameras } = setup({
      'calls:sfu': () => {
        throw Object.assign(new Error('no call server'), { code: 'SFU_UNAVAILABLE' });
      },
    });
    expect(await store.join('team', true)).toBe(false);
    expect(cameras()).toBe(0);
    expect(store.getView().session).toBeUndefined();
  });

  it('a camera that cannot open is said in words, and no call is left behind', async () => {
    const { store } = setup({ 'calls:sfu': () => ({ calls: [] }) });
    await expect(store.join('team', true)).rejects.toThrow(/Cannot join the call: no camera/);
    expect(store.getView().session).toBeUndefined();
  });
});
