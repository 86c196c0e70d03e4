import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProxyHeader } from './proxy-protocol.js';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(command: number, family: number, address: Buffer, tail = Buffer.alloc(0)) {
  const body = Buffer.concat([address, tail]);
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = (family << 4) | 1;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}

describe('parseProxyHeader', () => {
  it('reads v1 and v2 (IPv4, IPv6, LOCAL) and says where the HTTP bytes start', () => {
    const line = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51000 443\r\nGET /');
    expect(parseProxyHeader(line)).toEqual({ kind: 'ok', length: 43, address: '203.0.113.7' });
    const ipv4 = v2(1, 1, Buffer.from([198, 51, 100, 9, 10, 0, 0, 1, 0xc7, 0x38, 1, 187]));
    expect(parseProxyHeader(ipv4)).toEqual({ kind: 'ok', length: 28, address: '198.51.100.9' });
    const six = Buffer.alloc(36);
    six.writeUInt16BE(0x2001, 0);
    six.writeUInt16BE(0x0db8, 2);
    six.writeUInt16BE(0x0001, 14);
    expect(parseProxyHeader(v2(1, 2, six))).toMatchObject({ address: '2001:db8:0:0:0:0:0:1' });
    expect(parseProxyHeader(v2(0, 0, Buffer.alloc(0)))).toEqual({
      kind: 'ok',
      length: 16,
      address: undefined,
    });
  });

  it('waits for more bytes, and refuses what is not a PROXY header', () => {
    expect(parseProxyHeader(SIG.subarray(0, 7))).toEqual({ kind: 'incomplete' });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4'))).toEqual({ kind: 'incomplete' });
    expect(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n'))).toMatchObject({ kind: 'invalid' });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 1.2.3.4 1 2\r\n'))).toMatchObject({
      kind: 'invalid',
    });
    expect(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(200)}`))).toMatchObject({
      kind: 'invalid',
    });
  });

  it('never throws, and never claims more bytes than it was given', () => {
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.concat([SIG, Buffer.from(a)])),
      fc.string({ maxLength: 120 }).map((s) => Buffer.from(`PROXY ${s}`)),
    );
    fc.assert(
      fc.property(inputs, (buf) => {
        const r = parseProxyHeader(buf);
        if (r.kind === 'ok') expect(r.length).toBeLessThanOrEqual(buf.length);
      }),
      { numRuns: 3000 },
    );
  });
});
