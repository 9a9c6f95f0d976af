import type { Readable } from 'node:stream';

/**
 * Walks an MQTT byte stream's fixed headers (MQTT-2.2: one type byte, then the remaining length
 * as a 1–4 byte variable-length integer) to find each packet's declared size. It does not parse
 * packets; it only finds where the next one starts.
 */
export class PacketSizeMeter {
  /** Body bytes of the current packet still to skip before the next fixed header. */
  private remaining = 0;
  /** -1: expecting a type byte; otherwise how many length bytes have been read. */
  private lengthBytes = -1;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxBytes: number) {}

  /** The size of the first packet in `chunk` that is over the limit, or 0 when all fit. */
  feed(chunk: Buffer): number {
    for (let i = 0; i < chunk.length; ) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.lengthBytes < 0) {
        this.lengthBytes = 0;
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if (byte & 0x80 && this.lengthBytes < 4) continue;
      if (this.length > this.maxBytes) return this.length;
      this.remaining = this.length;
      this.lengthBytes = -1;
    }
    return 0;
  }
}

/**
 * Refuses MQTT packets larger than `maxBytes` on an inbound stream before they are buffered:
 * mqtt-packet (Aedes' parser) has no size limit and would accumulate a packet declaring up to
 * 256 MiB. It watches what the stream pushes (so the outbound path, where trades go, is
 * untouched) and destroys the connection at the first oversized header.
 */
export function guardPacketSize(
  stream: Readable,
  maxBytes: number,
  onRefused: (declared: number) => void,
): void {
  const meter = new PacketSizeMeter(maxBytes);
  const push = stream.push.bind(stream);
  stream.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (Buffer.isBuffer(chunk)) {
      const declared = meter.feed(chunk);
      if (declared > 0) {
        onRefused(declared);
        stream.destroy(new Error(`MQTT packet of ${declared} bytes exceeds the limit of ${maxBytes}`));
        return false;
      }
    }
    return push(chunk, encoding);
  };
}
