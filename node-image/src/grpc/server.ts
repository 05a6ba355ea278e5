// The sidecar's gRPC server: gRPC's protocol over Node's HTTP/2, server side only, as much of it as a
// member serves (docs/architecture/sidecar.md#the-grpc-server): unary and server-streaming calls of one
// request message, metadata, deadlines (grpc-timeout), cancellation, status in trailers, messages up
// to 4 MiB, no compression, keep-alive pings, plaintext or mutual TLS whose files are swapped without a
// restart. The operator calls it with @grpc/grpc-js's client; grpc-js's server, with the client side,
// resolvers and balancers a member never uses, cost the sidecar 1.4 MiB (docs/footprint.md#grpc).
import * as http2 from "node:http2";
import type { TLSSocket } from "node:tls";
import { GrpcError, grpcMessage, isGrpcStatusName, STATUS_CODE, timeoutMs, type GrpcStatusName } from "./status.ts";

export { GrpcError, type GrpcStatusName } from "./status.ts";

/** A method as the server reads and writes it: its path and its messages' codec (proto/methods.ts has the sidecar's). */
export interface MethodWire {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  decodeRequest(bytes: Buffer): Record<string, unknown>;
  encodeResponse(value: Record<string, unknown>): Buffer;
}

/** A call's metadata (the request's headers): values by lower-case key, as gRPC's Metadata.get gives them. */
export interface CallMetadata { get(key: string): (string | Buffer)[] }

export interface ServerCall {
  readonly metadata: CallMetadata;
  /** The client's certificate over mutual TLS (its subject's CN names the caller); undefined in plaintext. */
  readonly peerCertificate: { subject?: { CN?: string | string[] } } | undefined;
  /** Aborted when the client cancels, its deadline passes, or its connection ends. */
  readonly signal: AbortSignal;
}

/** A server-streaming call's responses. */
export interface ResponseStream {
  write(message: Record<string, unknown>): void;
  /** More than the stream's high-water mark (16 KiB) waits to be sent: a reader is behind. */
  readonly backedUp: boolean;
}

export type UnaryHandler = (call: ServerCall, request: Record<string, unknown>) => Promise<Record<string, unknown>>;
export type StreamHandler = (call: ServerCall, request: Record<string, unknown>, out: ResponseStream) => Promise<void>;
export type Handlers = Record<string, UnaryHandler | StreamHandler>;

export interface TlsMaterialPem { caPem: Buffer; certPem: Buffer; keyPem: Buffer }

export interface GrpcServerOptions {
  /** Mutual TLS: the server's pair and the CA a client's certificate must come from. Plaintext without. */
  tls?: TlsMaterialPem;
  /** A ping to each client this often; a client that does not answer within keepaliveTimeoutMs is cut. */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  /** The largest request message taken (gRPC's default receive limit). */
  maxMessageBytes?: number;
}

const HEADER_BYTES = 5; // a message's prefix: compressed flag (1 byte), length (4 bytes, big-endian)

/** A message as gRPC frames it on the stream. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + message.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, HEADER_BYTES);
  return out;
}

/** The messages of a request body, or why it cannot be read. */
export function unframe(body: Buffer, maxMessageBytes: number): Buffer[] | GrpcError {
  const messages: Buffer[] = [];
  for (let at = 0; at < body.length;) {
    if (body.length - at < HEADER_BYTES) return new GrpcError("INTERNAL", "a request message's prefix is cut short");
    if (body[at] !== 0) return new GrpcError("UNIMPLEMENTED", "compressed messages are not accepted: send them uncompressed");
    const length = body.readUInt32BE(at + 1);
    if (length > maxMessageBytes) return new GrpcError("RESOURCE_EXHAUSTED", `a request message of ${length} bytes is over the limit of ${maxMessageBytes}`);
    if (body.length - at - HEADER_BYTES < length) return new GrpcError("INTERNAL", "a request message is cut short");
    messages.push(body.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length));
    at += HEADER_BYTES + length;
  }
  return messages;
}

function metadataOf(headers: http2.IncomingHttpHeaders): CallMetadata {
  return {
    get(key) {
      const v = headers[key.toLowerCase()];
      return v === undefined ? [] : Array.isArray(v) ? v : [String(v)];
    },
  };
}

export class GrpcServer {
  private readonly servers: (http2.Http2Server | http2.Http2SecureServer)[] = [];
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly byPath = new Map<string, [MethodWire, UnaryHandler | StreamHandler]>();
  private tls: TlsMaterialPem | undefined;
  private readonly keepaliveMs: number;
  private readonly keepaliveTimeoutMs: number;
  private readonly maxMessageBytes: number;

  constructor(methods: Readonly<Record<string, MethodWire>>, handlers: Handlers, options: GrpcServerOptions = {}) {
    for (const [name, wire] of Object.entries(methods)) {
      const handler = handlers[name];
      if (!handler) throw new Error(`gRPC server: no handler for ${wire.path}`);
      if (wire.requestStream) throw new Error(`gRPC server: ${wire.path} streams its requests, which this server does not serve`);
      this.byPath.set(wire.path, [wire, handler]);
    }
    this.tls = options.tls;
    this.keepaliveMs = options.keepaliveMs ?? 30_000;
    this.keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 20_000;
    this.maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  }

  /** Listens on host:port (0: any free port); resolves with the port. */
  async listen(host: string, port: number): Promise<number> {
    const server = this.tls
      ? http2.createSecureServer({ ...this.secureContext(this.tls), requestCert: true, rejectUnauthorized: true })
      : http2.createServer();
    server.on("session", (session) => this.track(session));
    server.on("stream", (stream, headers) => this.serve(stream, headers));
    // A client refused at the handshake (no certificate, another CA) or a broken connection: the
    // client sees it; the server goes on.
    server.on("sessionError", () => undefined);
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => { server.off("error", reject); resolve(); });
    });
    this.servers.push(server);
    return (server.address() as { port: number }).port;
  }

  /** New connections use these files; open ones keep theirs. */
  setTls(tls: TlsMaterialPem): void {
    this.tls = tls;
    for (const s of this.servers) if ("setSecureContext" in s) s.setSecureContext(this.secureContext(tls));
  }

  /** Stops listening and lets calls in flight finish, cutting what is left after graceMs. */
  async close(graceMs = 5000): Promise<void> {
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const session of this.sessions) session.close();
    const force = setTimeout(() => { for (const session of this.sessions) session.destroy(); }, graceMs);
    await Promise.all(closed);
    clearTimeout(force);
  }

  private secureContext(tls: TlsMaterialPem) {
    return { key: tls.keyPem, cert: tls.certPem, ca: tls.caPem };
  }

  private track(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on("error", () => undefined);
    const keepalive = setInterval(() => {
      if (session.closed || session.destroyed) return;
      const cut = setTimeout(() => session.destroy(), this.keepaliveTimeoutMs);
      try {
        if (!session.ping((err) => { clearTimeout(cut); if (err) session.destroy(); })) clearTimeout(cut);
      } catch {
        clearTimeout(cut); // the session ended between the check and the ping
      }
    }, this.keepaliveMs);
    keepalive.unref();
    session.on("close", () => { clearInterval(keepalive); this.sessions.delete(session); });
  }

  private serve(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => undefined); // a reset by the client: the call's signal says so
    const call = new Call(stream, headers);
    const contentType = String(headers["content-type"] ?? "");
    if (headers[":method"] !== "POST" || !contentType.startsWith("application/grpc")) {
      return call.finish(new GrpcError("UNIMPLEMENTED", `not a gRPC call (${headers[":method"]} ${contentType || "without a content-type"})`));
    }
    const path = String(headers[":path"]);
    const entry = this.byPath.get(path);
    if (!entry) return call.finish(new GrpcError("UNIMPLEMENTED", `unknown method ${path}`));
    const deadline = timeoutMs(headers["grpc-timeout"]);
    if (deadline === null) return call.finish(new GrpcError("INTERNAL", `grpc-timeout ${JSON.stringify(headers["grpc-timeout"])} is not a gRPC timeout`));
    if (deadline !== undefined) call.expireAfter(deadline);

    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxMessageBytes + HEADER_BYTES) {
        stream.removeAllListeners("data");
        call.finish(new GrpcError("RESOURCE_EXHAUSTED", `the request is over the limit of ${this.maxMessageBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.once("end", () => {
      if (call.done) return;
      const messages = unframe(Buffer.concat(chunks), this.maxMessageBytes);
      if (messages instanceof GrpcError) return call.finish(messages);
      if (messages.length !== 1) return call.finish(new GrpcError("UNIMPLEMENTED", `${path} takes one request message, got ${messages.length}`));
      const [wire, handler] = entry;
      let request: Record<string, unknown>;
      try {
        request = wire.decodeRequest(messages[0]);
      } catch (err) {
        return call.finish(new GrpcError("INTERNAL", `the request is not a ${path} message: ${(err as Error).message}`));
      }
      // A handler that throws before it returns a promise ends its call like one whose promise rejects.
      const run = Promise.resolve().then(() => wire.responseStream
        ? (handler as StreamHandler)(call, request, { write: (m) => call.write(wire.encodeResponse(m)), get backedUp() { return call.backedUp; } })
        : (handler as UnaryHandler)(call, request).then((response) => call.write(wire.encodeResponse(response))));
      run.then(() => call.finish(), (err: unknown) => call.finish(err instanceof GrpcError ? err : new GrpcError("UNKNOWN", (err as Error)?.message ?? String(err))));
    });
  }
}

/** One call on its HTTP/2 stream: responses, then the status in trailers (alone, if nothing was sent). */
class Call implements ServerCall {
  readonly metadata: CallMetadata;
  private readonly controller = new AbortController();
  private headersSent = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The status the trailers will carry, once the call has ended after sending responses. */
  private trailers: http2.OutgoingHttpHeaders | undefined;
  done = false;

  constructor(private readonly stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    this.metadata = metadataOf(headers);
    stream.on("close", () => {
      clearTimeout(this.deadlineTimer);
      if (!this.done) { this.done = true; this.controller.abort(new GrpcError("CANCELLED", "the call was cancelled")); }
    });
  }

  get signal(): AbortSignal { return this.controller.signal; }

  get peerCertificate() {
    const socket = this.stream.session?.socket as TLSSocket | undefined;
    return typeof socket?.getPeerCertificate === "function" ? socket.getPeerCertificate() : undefined;
  }

  get backedUp(): boolean { return this.stream.writableNeedDrain; }

  expireAfter(ms: number): void {
    this.deadlineTimer = setTimeout(() => this.finish(new GrpcError("DEADLINE_EXCEEDED", `the call's deadline (${ms} ms) passed`)), ms);
  }

  write(message: Buffer): void {
    if (this.done || this.stream.destroyed) return;
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      this.stream.once("wantTrailers", () => this.stream.sendTrailers(this.trailers ?? statusHeaders(undefined)));
    }
    this.stream.write(frame(message));
  }

  /** Ends the call with OK (no error) or the error's status; later calls do nothing. */
  finish(error?: GrpcError): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.deadlineTimer);
    if (error) this.controller.abort(error);
    if (this.stream.destroyed || this.stream.closed) return;
    if (this.headersSent) {
      this.trailers = statusHeaders(error);
      this.stream.end();
    } else {
      this.stream.respond({ ":status": 200, "content-type": "application/grpc", ...statusHeaders(error) }, { endStream: true });
    }
  }
}

function statusHeaders(error: GrpcError | undefined): http2.OutgoingHttpHeaders {
  const code: GrpcStatusName = error && isGrpcStatusName(error.code) ? error.code : error ? "UNKNOWN" : "OK";
  return { "grpc-status": String(STATUS_CODE[code]), ...(error ? { "grpc-message": grpcMessage(error.details) } : {}) };
}
