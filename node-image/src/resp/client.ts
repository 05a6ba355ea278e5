// One connection to an engine (plain TCP or TLS): AUTH, a ready check while the engine loads its data,
// commands answered in order with a timeout each, and reconnects on a schedule the caller gives. The
// member's connection to its own engine and its short-lived connections to peers; a slot migration
// opens its own, with ioredis (docs/footprint.md#the-engine-connection).
import { EventEmitter } from "node:events";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { encodeCommand, EngineReplyError, ReplyParser, type Reply } from "./reply-parser.ts";

export { EngineReplyError, type Reply } from "./reply-parser.ts";

export interface RespClientOptions {
  host: string;
  port: number;
  password?: string;
  /** TLS options, read at each connect; absent: plain TCP. */
  tls?: ConnectionOptions;
  connectTimeoutMs: number;
  /** A command not answered in this time is rejected (the connection stays). */
  commandTimeoutMs: number;
  /** Delay before reconnect attempt `attempt` (1, 2, ...), or null to stay closed. */
  retryDelayMs: (attempt: number) => number | null;
  /** Queue commands issued before the connection is ready (and connect on the first one), instead of refusing them. */
  queueWhileConnecting: boolean;
}

/** `wait`: not connected yet (connects on the first command or connect()); `end`: closed for good. */
export type RespStatus = "wait" | "connecting" | "ready" | "reconnecting" | "end";

interface Pending { args: readonly (string | number)[]; resolve: (r: Reply) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }

/** How long the ready check waits between looks at an engine still loading its data. */
const LOADING_POLL_MS = 200;

/**
 * Events: `ready` (connected, authenticated, the engine not loading), `close` (a connection closed;
 * reconnects follow while the schedule allows), `error` (what closed it; callers that only react to
 * `status` may ignore it, but must listen).
 */
export class RespClient extends EventEmitter {
  status: RespStatus = "wait";
  private socket: Socket | undefined;
  private readonly parser = new ReplyParser();
  /** Written, waiting for their replies, in order. */
  private readonly inFlight: Pending[] = [];
  /** Issued before ready (queueWhileConnecting), written once ready. */
  private readonly queued: Pending[] = [];
  private attempts = 0;
  /** Why the last connection closed or could not become ready (for the caller's reports). */
  lastError: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closing = false;

  constructor(private readonly opts: RespClientOptions) {
    super();
  }

  /** Connects now (a no-op unless waiting); resolves once ready, rejects when this attempt fails. */
  connect(): Promise<void> {
    if (this.status === "ready") return Promise.resolve();
    if (this.status === "end") return Promise.reject(new Error(`connection to ${this.opts.host}:${this.opts.port} is closed`));
    if (this.status === "wait") this.open();
    return new Promise((resolve, reject) => {
      const onReady = () => { this.off("close", onClose); resolve(); };
      const onClose = () => { this.off("ready", onReady); reject(new Error(`connection to ${this.opts.host}:${this.opts.port} closed before it was ready`)); };
      this.once("ready", onReady);
      this.once("close", onClose);
    });
  }

  /** Sends a command; its reply, or an EngineReplyError when the engine answered with an error. */
  call(...args: (string | number)[]): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const pending: Pending = { args, resolve, reject };
      if (this.status === "ready") return this.write(pending);
      if (!this.opts.queueWhileConnecting || this.status === "end") {
        return reject(new Error(`engine ${this.opts.host}:${this.opts.port} is not connected (${this.describeStatus()})`));
      }
      this.queued.push(pending);
      if (this.status === "wait") this.connect().catch(() => { /* the queued commands are rejected */ });
    }).then((reply) => { if (reply instanceof EngineReplyError) throw reply; return reply; });
  }

  /** The status, with why the last connection closed while it is not ready. */
  describeStatus(): string {
    return this.status !== "ready" && this.lastError ? `${this.status}: ${this.lastError}` : this.status;
  }

  /** Closes the connection for good: commands in flight and queued are rejected. */
  disconnect(): void {
    this.closing = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.socket) this.socket.destroy();
    else this.failAll(new Error("connection closed by the client"));
    this.status = "end";
  }

  private open(): void {
    this.status = this.attempts === 0 ? "connecting" : "reconnecting";
    this.parser.reset();
    const { host, port, tls } = this.opts;
    const socket = tls ? tlsConnect({ ...tls, host, port }) : netConnect({ host, port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    const connectTimer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out after ${this.opts.connectTimeoutMs} ms`)), this.opts.connectTimeoutMs);
    socket.once(tls ? "secureConnect" : "connect", () => {
      clearTimeout(connectTimer);
      this.handshake().then(
        () => { if (this.socket === socket && !socket.destroyed) this.becomeReady(); },
        (err: Error) => socket.destroy(err),
      );
    });
    socket.on("data", (chunk: Buffer) => this.onData(socket, chunk));
    socket.on("error", (err) => { this.lastError = err.message; if (this.listenerCount("error") > 0) this.emit("error", err); });
    socket.once("close", () => { clearTimeout(connectTimer); this.onClose(socket); });
  }

  /** AUTH, then wait while the engine loads its data set (it answers -LOADING until then). */
  private async handshake(): Promise<void> {
    // An engine without a password refuses AUTH; its commands still work, as with no AUTH at all.
    if (this.opts.password) await this.direct("AUTH", this.opts.password).catch((err: Error) => { if (!/no password is set|without any password configured/i.test(err.message)) throw err; });
    for (;;) {
      const info = await this.direct("INFO", "persistence");
      if (!/^loading:1\r?$/m.test(typeof info === "string" ? info : "")) return;
      await new Promise((r) => setTimeout(r, LOADING_POLL_MS));
      if (this.socket?.destroyed) throw new Error("connection closed while the engine was loading");
    }
  }

  /** A command written before the connection is ready (the handshake's own). */
  private direct(...args: string[]): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => this.write({ args, resolve, reject }))
      .then((reply) => { if (reply instanceof EngineReplyError) throw reply; return reply; });
  }

  private becomeReady(): void {
    this.attempts = 0;
    this.lastError = undefined;
    this.status = "ready";
    for (const p of this.queued.splice(0)) this.write(p);
    this.emit("ready");
  }

  private write(p: Pending): void {
    const socket = this.socket!;
    p.timer = setTimeout(() => {
      const i = this.inFlight.indexOf(p);
      // Its reply may still come: the slot stays, answered by no one, so later replies keep their order.
      if (i >= 0) this.inFlight[i] = { args: p.args, resolve: () => {}, reject: () => {} };
      p.reject(new Error(`Command timed out after ${this.opts.commandTimeoutMs} ms: ${String(p.args[0])}`));
    }, this.opts.commandTimeoutMs);
    this.inFlight.push(p);
    socket.write(encodeCommand(p.args));
  }

  private onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    let replies: Reply[];
    try {
      replies = this.parser.feed(chunk);
    } catch (err) {
      socket.destroy(err as Error);
      return;
    }
    for (const reply of replies) {
      const p = this.inFlight.shift();
      if (!p) { socket.destroy(new Error("the engine sent a reply to no command")); return; }
      clearTimeout(p.timer);
      p.resolve(reply);
    }
  }

  private onClose(socket: Socket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const err = new Error(`connection to engine ${this.opts.host}:${this.opts.port} closed`);
    for (const p of this.inFlight.splice(0)) { clearTimeout(p.timer); p.reject(err); }
    this.emit("close");
    const delay = this.closing ? null : this.opts.retryDelayMs(++this.attempts);
    if (delay === null) {
      this.status = "end";
      this.failAll(err);
      return;
    }
    this.status = "reconnecting";
    this.retryTimer = setTimeout(() => { this.retryTimer = undefined; if (!this.closing) this.open(); }, delay);
  }

  private failAll(err: Error): void {
    for (const p of this.queued.splice(0)) p.reject(err);
  }
}
