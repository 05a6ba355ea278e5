// RESP2 replies, decoded incrementally (pure): feed it the bytes as they arrive, take each complete
// reply in order. Bulk and simple strings become strings (UTF-8), integers numbers, nil null, arrays
// arrays, and an error reply an EngineReplyError carrying the engine's line (docs/footprint.md#the-engine-connection).

/** The engine answered a command with an error (`-ERR ...`, `-LOADING ...`); the message is its line. */
export class EngineReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReplyError";
  }
}

export type Reply = string | number | null | EngineReplyError | Reply[];

/** The bytes broke the protocol: the connection cannot be read any further. */
export class RespProtocolError extends Error {}

const CR = 13;
const INCOMPLETE = Symbol("incomplete");

export class ReplyParser {
  private buffer: Buffer = Buffer.alloc(0);
  private offset = 0;

  /** Appends `chunk` and returns every reply it completed, in order. */
  feed(chunk: Buffer): Reply[] {
    this.buffer = this.offset < this.buffer.length ? Buffer.concat([this.buffer.subarray(this.offset), chunk]) : chunk;
    this.offset = 0;
    const replies: Reply[] = [];
    for (;;) {
      const start = this.offset;
      const reply = this.parse();
      if (reply === INCOMPLETE) { this.offset = start; break; }
      replies.push(reply);
    }
    if (this.offset >= this.buffer.length) { this.buffer = Buffer.alloc(0); this.offset = 0; }
    return replies;
  }

  /** Forgets any partial reply (a new connection starts clean). */
  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.offset = 0;
  }

  private line(): string | typeof INCOMPLETE {
    const end = this.buffer.indexOf(CR, this.offset);
    if (end < 0 || end + 1 >= this.buffer.length) return INCOMPLETE;
    const text = this.buffer.toString("utf8", this.offset, end);
    this.offset = end + 2;
    return text;
  }

  private integer(): number | typeof INCOMPLETE {
    const text = this.line();
    if (text === INCOMPLETE) return INCOMPLETE;
    const value = Number(text);
    if (text === "" || !Number.isInteger(value)) throw new RespProtocolError(`expected an integer, got ${JSON.stringify(text.slice(0, 40))}`);
    return value;
  }

  private parse(): Reply | typeof INCOMPLETE {
    if (this.offset >= this.buffer.length) return INCOMPLETE;
    const type = this.buffer[this.offset++];
    switch (type) {
      case 0x2b: return this.line(); // +
      case 0x2d: { const text = this.line(); return text === INCOMPLETE ? INCOMPLETE : new EngineReplyError(text); } // -
      case 0x3a: return this.integer(); // :
      case 0x24: { // $
        const length = this.integer();
        if (length === INCOMPLETE) return INCOMPLETE;
        if (length < 0) return null;
        if (this.offset + length + 2 > this.buffer.length) return INCOMPLETE;
        const text = this.buffer.toString("utf8", this.offset, this.offset + length);
        this.offset += length + 2;
        return text;
      }
      case 0x2a: { // *
        const length = this.integer();
        if (length === INCOMPLETE) return INCOMPLETE;
        if (length < 0) return null;
        const items: Reply[] = [];
        for (let i = 0; i < length; i++) {
          const item = this.parse();
          if (item === INCOMPLETE) return INCOMPLETE;
          items.push(item);
        }
        return items;
      }
      default:
        throw new RespProtocolError(`unexpected reply type byte ${type} (${JSON.stringify(String.fromCharCode(type))})`);
    }
  }
}

/** A command as RESP2 sends it: an array of bulk strings. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: (string | Buffer)[] = [`*${args.length}\r\n`];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), "utf8");
    parts.push(`$${bytes.length}\r\n`, bytes, "\r\n");
  }
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : p)));
}
