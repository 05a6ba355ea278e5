// The sidecar API's protobuf codec: encodes and decodes the messages of a schema that `npm run
// proto:gen` generates from the proto (proto/generated/schema.ts), with no protobuf library at run
// time. It keeps the object shapes the stubs in proto/generated/ describe (proto-loader's options
// `keepCase: false, longs: Number, enums: String, defaults: true`): a decoded message has every
// field, enums are names, 64-bit integers are Numbers. The runtime reflection it replaces (the
// .proto parsed at start-up by @grpc/proto-loader and protobufjs) cost each process ≈ 10 MiB
// (docs/footprint.md#protobuf).
//
// Supported field types: the ones the proto uses (double, bool, string, int32, uint32, uint64, enums,
// messages, repeated of each); the generator refuses any other.

export type ScalarType = "double" | "bool" | "string" | "int32" | "uint32" | "uint64";
export const SCALAR_TYPES: readonly ScalarType[] = ["double", "bool", "string", "int32", "uint32", "uint64"];

/** One field: [name (camelCase), number, type (a scalar, or a message or enum name of the package), repeated]. */
export type FieldSchema = readonly [name: string, id: number, type: string, repeated: boolean];

/** One RPC: [request message, response message, request streamed, response streamed]. */
export type MethodSchema = readonly [request: string, response: string, requestStream: boolean, responseStream: boolean];

export interface ProtoSchema {
  package: string;
  enums: Readonly<Record<string, Readonly<Record<string, number>>>>;
  messages: Readonly<Record<string, readonly FieldSchema[]>>;
  services: Readonly<Record<string, Readonly<Record<string, MethodSchema>>>>;
}

type Message = Record<string, unknown>;

const TWO_32 = 4294967296;

class Writer {
  private buf = new Uint8Array(64);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.length++] = b;
  }

  /** An unsigned varint of up to 64 bits, from its low and high 32-bit halves. */
  varint64(lo: number, hi: number): void {
    while (hi !== 0 || lo > 0x7f) {
      this.byte((lo & 0x7f) | 0x80);
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.byte(lo);
  }

  uint(n: number): void {
    this.varint64(n % TWO_32 >>> 0, Math.floor(n / TWO_32) >>> 0);
  }

  /** int32 and enums: a negative value is its 64-bit two's complement (ten bytes), as protobuf requires. */
  int(n: number): void {
    if (n >= 0) this.varint64(n >>> 0, 0);
    else this.varint64(n >>> 0, 0xffffffff);
  }

  double(n: number): void {
    this.reserve(8);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat64(this.length, n, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.uint(b.length);
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.length);
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Uint8Array, readonly end = buf.length) {}

  /** An unsigned varint as [low, high] 32-bit halves. */
  varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw new RangeError("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) { lo |= (b & 0x0f) << 28; hi |= (b & 0x7f) >> 4; }
      else hi |= (b & 0x7f) << (shift - 32);
      if ((b & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    throw new RangeError("protobuf: varint longer than 10 bytes");
  }

  length(): number {
    const [lo, hi] = this.varint64();
    const n = hi * TWO_32 + lo;
    if (this.pos + n > this.end) throw new RangeError("protobuf: length beyond the message");
    return n;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new RangeError("protobuf: truncated double");
    const v = new DataView(this.buf.buffer, this.buf.byteOffset).getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  sub(n: number): Uint8Array {
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint64();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.pos += this.length();
    else if (wireType === 5) this.pos += 4;
    else throw new RangeError(`protobuf: wire type ${wireType} is not supported`);
    if (this.pos > this.end) throw new RangeError("protobuf: field beyond the message");
  }
}

const WIRE_TYPE: Record<ScalarType, number> = { double: 1, bool: 0, string: 2, int32: 0, uint32: 0, uint64: 0 };
const PACKABLE = new Set(["double", "bool", "int32", "uint32", "uint64"]);

export class Codec {
  private readonly decoder = new TextDecoder("utf-8");
  private readonly encoder = new TextEncoder();
  private readonly enumNames = new Map<string, Map<number, string>>();

  constructor(readonly schema: ProtoSchema) {
    for (const [name, values] of Object.entries(schema.enums)) this.enumNames.set(name, new Map(Object.entries(values).map(([k, v]) => [v, k])));
  }

  private fields(type: string): readonly FieldSchema[] {
    const fields = this.schema.messages[type];
    if (!fields) throw new Error(`protobuf: no message ${this.schema.package}.${type} in the schema`);
    return fields;
  }

  private isScalar(type: string): type is ScalarType {
    return (SCALAR_TYPES as readonly string[]).includes(type);
  }

  // ---- encoding (what protobufjs's fromObject accepts, then encode)

  encode(type: string, value: Message): Buffer {
    const w = new Writer();
    this.writeMessage(w, type, value);
    return w.finish();
  }

  private writeMessage(w: Writer, type: string, value: Message): void {
    for (const [name, id, fieldType, repeated] of this.fields(type)) {
      const v = value[name];
      if (v === undefined || v === null) continue;
      const where = `.${this.schema.package}.${type}.${name}`;
      if (repeated) {
        if (!Array.isArray(v)) throw new TypeError(`${where}: array expected`);
        if (v.length === 0) continue;
        if (PACKABLE.has(fieldType) || this.schema.enums[fieldType]) {
          const inner = new Writer();
          for (const e of v) this.writeValue(inner, fieldType, e, where);
          w.uint(id * 8 + 2);
          w.bytes(inner.finish());
        } else {
          for (const e of v) this.writeField(w, id, fieldType, e, where);
        }
      } else {
        this.writeField(w, id, fieldType, v, where);
      }
    }
  }

  private writeField(w: Writer, id: number, type: string, v: unknown, where: string): void {
    if (this.isScalar(type)) {
      w.uint(id * 8 + WIRE_TYPE[type]);
      this.writeValue(w, type, v, where);
    } else if (this.schema.enums[type]) {
      w.uint(id * 8);
      this.writeValue(w, type, v, where);
    } else {
      if (typeof v !== "object") throw new TypeError(`${where}: object expected`);
      const inner = new Writer();
      this.writeMessage(inner, type, v as Message);
      w.uint(id * 8 + 2);
      w.bytes(inner.finish());
    }
  }

  private writeValue(w: Writer, type: string, v: unknown, where: string): void {
    switch (type) {
      case "double": return w.double(Number(v));
      case "bool": return w.int(v ? 1 : 0);
      case "string": return w.bytes(this.encoder.encode(String(v)));
      case "int32": return w.int(Number(v) | 0);
      case "uint32": return w.uint(Number(v) >>> 0);
      case "uint64": return w.uint(toUint64(v));
    }
    const values = this.schema.enums[type];
    if (values) {
      // A name of the enum, or a number (kept even when the enum does not name it); anything else is its default.
      const n = typeof v === "number" ? v : typeof v === "string" && v in values ? values[v] : 0;
      return w.int(n | 0);
    }
    throw new TypeError(`${where}: ${type} is not a scalar or enum`);
  }

  // ---- decoding (protobufjs's decode, then toObject with the options above)

  decode(type: string, bytes: Uint8Array): Message {
    return this.readMessage(new Reader(bytes), type);
  }

  private defaults(type: string): Message {
    const out: Message = {};
    for (const [name, , fieldType, repeated] of this.fields(type)) {
      if (repeated) out[name] = [];
      else if (this.isScalar(fieldType)) out[name] = fieldType === "string" ? "" : fieldType === "bool" ? false : 0;
      else if (this.schema.enums[fieldType]) out[name] = this.enumNames.get(fieldType)!.get(0) ?? 0;
      else out[name] = null;
    }
    return out;
  }

  private readMessage(r: Reader, type: string): Message {
    const out = this.defaults(type);
    const byId = new Map(this.fields(type).map((f) => [f[1], f]));
    while (r.pos < r.end) {
      const [tag] = r.varint64();
      const field = byId.get(tag >>> 3);
      const wireType = tag & 7;
      if (!field) { r.skip(wireType); continue; }
      const [name, , fieldType, repeated] = field;
      const isMessage = !this.isScalar(fieldType) && !this.schema.enums[fieldType];
      if (repeated && wireType === 2 && !isMessage && fieldType !== "string") {
        const packed = new Reader(r.sub(r.length()));
        while (packed.pos < packed.end) (out[name] as unknown[]).push(this.readValue(packed, fieldType));
      } else if (isMessage) {
        const value = this.readMessage(new Reader(r.sub(r.length())), fieldType);
        if (repeated) (out[name] as unknown[]).push(value);
        else out[name] = value;
      } else {
        const value = this.readValue(r, fieldType);
        if (repeated) (out[name] as unknown[]).push(value);
        else out[name] = value;
      }
    }
    return out;
  }

  private readValue(r: Reader, type: string): unknown {
    switch (type) {
      case "double": return r.double();
      case "string": return this.decoder.decode(r.sub(r.length()));
      case "bool": { const [lo, hi] = r.varint64(); return lo !== 0 || hi !== 0; }
      case "int32": return r.varint64()[0] | 0;
      case "uint32": return r.varint64()[0];
      case "uint64": { const [lo, hi] = r.varint64(); return hi * TWO_32 + lo; }
    }
    const n = r.varint64()[0] | 0;
    return this.enumNames.get(type)?.get(n) ?? n;
  }
}

/** A uint64 field's value from a Number or a decimal string (as protobufjs accepts them); anything else is 0. */
function toUint64(v: unknown): number {
  const n = typeof v === "string" ? parseInt(v, 10) : Number(v);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.trunc(n), Number.MAX_SAFE_INTEGER);
}
