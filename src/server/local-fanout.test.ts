import { describe, expect, it } from 'vitest';
import { InProcessBroker, type BrokerMessage } from './broker.js';
import { LocalFanout, type Recipient } from './local-fanout.js';

function recorder(): Recipient & { got: Buffer[] } {
  const got: Buffer[] = [];
  return { got, deliver: (_m: BrokerMessage, bytes: Buffer) => void got.push(bytes) };
}
const message: BrokerMessage = { event: 'message:send', frame: '{"type":"event"}' };

describe('LocalFanout', () => {
  it('encodes a message once for all its recipients, even across topics', () => {
    const broker = new InProcessBroker();
    const fanout = new LocalFanout(broker);
    const a = recorder();
    const b = recorder();
    fanout.add('t1', a);
    fanout.add('t2', b);
    broker.publish('t1', message);
    broker.publish('t2', message);
    expect(a.got).toHaveLength(1);
    expect(b.got[0]).toBe(a.got[0]);
    expect(a.got[0]!.toString()).toBe(message.frame);
  });

  it('holds one broker subscription per topic and lets it go with the last recipient', () => {
    const broker = new InProcessBroker();
    const fanout = new LocalFanout(broker);
    const a = recorder();
    const b = recorder();
    fanout.add('t', a);
    fanout.add('t', b);
    expect(broker.topicCount()).toBe(1);
    fanout.remove('t', a);
    broker.publish('t', message);
    expect(a.got).toHaveLength(0);
    expect(b.got).toHaveLength(1);
    fanout.remove('t', b);
    expect(broker.topicCount()).toBe(0);
    expect(fanout.topicCount()).toBe(0);
  });

  it('dispose drops every subscription', () => {
    const broker = new InProcessBroker();
    const fanout = new LocalFanout(broker);
    fanout.add('x', recorder());
    fanout.add('y', recorder());
    fanout.dispose();
    expect(broker.topicCount()).toBe(0);
  });
});
