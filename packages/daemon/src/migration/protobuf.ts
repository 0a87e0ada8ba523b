// A minimal protobuf (proto2) wire codec: varints and length-delimited fields, enough for LXD's migration messages.

/** Appends fields to a growing buffer. */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private varint(v: bigint): void {
    // Negative int32/int64 values go on the wire as their 64-bit two's complement (10 bytes).
    let x = v < 0n ? v + (1n << 64n) : v;
    const out: number[] = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      out.push(b);
    } while (x > 0n);
    this.parts.push(Buffer.from(out));
  }

  private key(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int(field: number, v: number | bigint): this {
    this.key(field, 0);
    this.varint(BigInt(v));
    return this;
  }

  bool(field: number, v: boolean): this {
    return this.int(field, v ? 1 : 0);
  }

  bytes(field: number, v: Buffer): this {
    this.key(field, 2);
    this.varint(BigInt(v.length));
    this.parts.push(v);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, Buffer.from(v, 'utf8'));
  }

  message(field: number, w: ProtoWriter): this {
    return this.bytes(field, w.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export type ProtoValue = bigint | Buffer;

/** Decodes one message level into field number → values (varints as bigint, length-delimited as Buffer). */
export function readProto(buf: Buffer): Map<number, ProtoValue[]> {
  const fields = new Map<number, ProtoValue[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated protobuf varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('protobuf varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    let value: ProtoValue;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('truncated protobuf field');
      value = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 1) {
      value = buf.readBigUInt64LE(pos);
      pos += 8;
    } else if (wire === 5) {
      value = BigInt(buf.readUInt32LE(pos));
      pos += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = fields.get(field) ?? [];
    list.push(value);
    fields.set(field, list);
  }
  return fields;
}

/** Signed interpretation of a varint read as unsigned 64-bit. */
export function signed(v: bigint): bigint {
  return v >= 1n << 63n ? v - (1n << 64n) : v;
}

export function getInt(f: Map<number, ProtoValue[]>, n: number): number | undefined {
  const v = f.get(n)?.[0];
  return typeof v === 'bigint' ? Number(signed(v)) : undefined;
}

export function getBool(f: Map<number, ProtoValue[]>, n: number): boolean | undefined {
  const v = f.get(n)?.[0];
  return typeof v === 'bigint' ? v !== 0n : undefined;
}

export function getString(f: Map<number, ProtoValue[]>, n: number): string | undefined {
  const v = f.get(n)?.[0];
  return Buffer.isBuffer(v) ? v.toString('utf8') : undefined;
}

export function getMessages(f: Map<number, ProtoValue[]>, n: number): Map<number, ProtoValue[]>[] {
  return (f.get(n) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v)).map(readProto);
}

export function getStrings(f: Map<number, ProtoValue[]>, n: number): string[] {
  return (f.get(n) ?? []).filter((v): v is Buffer => Buffer.isBuffer(v)).map((b) => b.toString('utf8'));
}
