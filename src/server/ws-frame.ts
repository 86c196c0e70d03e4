// A fanned-out event is framed once for all the sockets that get it. ws frames each send on its
// own (a header Buffer and two writes per socket per message); at hundreds of thousands of
// deliveries a second that framing and its garbage were a large share of a server's CPU.
// Server-to-client frames are never masked (RFC 6455 §5.1), so the bytes are the same for every
// socket: FIN + text opcode, the payload length in 7, 7+16 or 7+64 bits, then the payload.

const framed = new WeakMap<Buffer, Buffer>();

/** The final, unmasked text frame carrying `payload`; built once per payload Buffer. */
export function textFrame(payload: Buffer): Buffer {
  let frame = framed.get(payload);
  if (frame) return frame;
  const n = payload.length;
  const headerLength = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  frame = Buffer.allocUnsafe(headerLength + n);
  frame[0] = 0x81; // FIN, opcode 1 (text)
  if (n < 126) {
    frame[1] = n;
  } else if (n < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  payload.copy(frame, headerLength);
  framed.set(payload, frame);
  return frame;
}
