// The sidecar's gRPC server against grpc-js's client (what the operator calls it with) and a bare
// HTTP/2 client for what grpc-js would not send: statuses and their text, metadata, deadlines from
// either side, cancellation, the message limit, compression refused, keep-alive pings, a graceful close.
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { frame, GrpcError, GrpcServer, unframe, type Handlers, type MethodWire, type ServerCall } from "../../src/grpc/server.ts";
import { grpcMessage, timeoutMs } from "../../src/grpc/status.ts";

type Message = Record<string, unknown>;
const json = (v: Message) => Buffer.from(JSON.stringify(v));
const parse = (b: Buffer) => JSON.parse(b.toString()) as Message;
const method = (name: string, responseStream = false): MethodWire => ({ path: `/t.T/${name}`, requestStream: false, responseStream, decodeRequest: parse, encodeResponse: json });
const METHODS = { Echo: method("Echo"), Fail: method("Fail"), Hang: method("Hang"), Count: method("Count", true), Boom: method("Boom"), Sync: method("Sync") };

/** The signals of the calls the server ended without the handler's say (a deadline, a client's cancel). */
const aborted: string[] = [];
const hang = (name: string) => (call: ServerCall) => new Promise<Message>((resolve) => call.signal.addEventListener("abort", () => { aborted.push(`${name}: ${(call.signal.reason as GrpcError).code}`); resolve({}); }));

const handlers: Handlers = {
  Echo: async (call: ServerCall, req: Message) => ({ ...req, auth: call.metadata.get("authorization")[0] ?? null, peer: call.peerCertificate ?? null }),
  Fail: async (_call: ServerCall, req: Message) => { throw new GrpcError("FAILED_PRECONDITION", String(req.text)); },
  Hang: hang("Hang"),
  Count: async (call, req, out) => {
    for (let i = 1; i <= Number(req.to); i++) out.write({ i });
    if (req.then === "fail") throw new GrpcError("ABORTED", "stopped after the count");
    if (req.then === "hang") await hang("Count")(call);
  },
  Boom: async () => { throw new Error("not a gRPC error"); },
  Sync: () => { throw new GrpcError("INVALID_ARGUMENT", "thrown before a promise"); },
};

describe("the sidecar's gRPC server", () => {
  let server: GrpcServer;
  let address: string;
  let client: grpc.Client;
  before(async () => {
    server = new GrpcServer(METHODS, handlers, { maxMessageBytes: 1024, keepaliveMs: 100 });
    address = `127.0.0.1:${await server.listen("127.0.0.1", 0)}`;
    client = new grpc.Client(address, grpc.credentials.createInsecure());
  });
  after(async () => { client.close(); await server.close(0); });

  const unary = (name: string, req: Message, options: grpc.CallOptions = {}, md = new grpc.Metadata()) => new Promise<Message>((resolve, reject) =>
    client.makeUnaryRequest(`/t.T/${name}`, json, parse, req, md, options, (err, res) => (err ? reject(err) : resolve(res!))));
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(() => assert.fail("the call succeeded"), (e: grpc.ServiceError) => e);
    return { code: grpc.status[err.code], details: err.details };
  };

  test("a unary call: the request, its metadata, the response", async () => {
    const md = new grpc.Metadata();
    md.set("authorization", "Bearer t0k");
    assert.deepEqual(await unary("Echo", { a: 1 }, {}, md), { a: 1, auth: "Bearer t0k", peer: null });
  });

  test("an error's status and its text, whatever its characters", async () => {
    assert.deepEqual(await failure(unary("Fail", { text: "slots 1→2: 100% moved, \"quoted\"\nnext line" })),
      { code: "FAILED_PRECONDITION", details: "slots 1→2: 100% moved, \"quoted\"\nnext line" });
    assert.deepEqual(await failure(unary("Boom", {})), { code: "UNKNOWN", details: "not a gRPC error" });
    assert.deepEqual(await failure(unary("Sync", {})), { code: "INVALID_ARGUMENT", details: "thrown before a promise" });
  });

  test("an unknown method → UNIMPLEMENTED", async () => {
    assert.deepEqual(await failure(unary("Nope", {})), { code: "UNIMPLEMENTED", details: "unknown method /t.T/Nope" });
  });

  test("a message over the limit → RESOURCE_EXHAUSTED", async () => {
    const { code } = await failure(unary("Echo", { big: "x".repeat(2000) }));
    assert.equal(code, "RESOURCE_EXHAUSTED");
  });

  test("the client's deadline: the call ends DEADLINE_EXCEEDED and its handler hears of it", async () => {
    aborted.length = 0;
    assert.equal((await failure(unary("Hang", {}, { deadline: Date.now() + 150 }))).code, "DEADLINE_EXCEEDED");
    await waitUntil(() => aborted.length > 0);
    assert.match(aborted[0], /^Hang: (CANCELLED|DEADLINE_EXCEEDED)$/);
  });

  test("a server stream: each response, then OK; or an error after responses", async () => {
    const read = (req: Message) => new Promise<{ got: unknown[]; error?: string }>((resolve) => {
      const got: unknown[] = [];
      const call = client.makeServerStreamRequest("/t.T/Count", json, parse, req, new grpc.Metadata(), {});
      call.on("data", (m: Message) => got.push(m.i));
      call.on("error", (e: grpc.ServiceError) => resolve({ got, error: `${grpc.status[e.code]}: ${e.details}` }));
      call.on("end", () => resolve({ got }));
    });
    assert.deepEqual(await read({ to: 3 }), { got: [1, 2, 3] });
    assert.deepEqual(await read({ to: 2, then: "fail" }), { got: [1, 2], error: "ABORTED: stopped after the count" });
  });

  test("a client's cancel of a stream reaches its handler", async () => {
    aborted.length = 0;
    const call = client.makeServerStreamRequest("/t.T/Count", json, parse, { to: 1, then: "hang" }, new grpc.Metadata(), {});
    call.on("error", () => undefined);
    await new Promise((resolve) => call.once("data", resolve));
    call.cancel();
    await waitUntil(() => aborted.length > 0);
    assert.deepEqual(aborted, ["Count: CANCELLED"]);
  });

  describe("what grpc-js's client does not send (a bare HTTP/2 client)", () => {
    let session: http2.ClientHttp2Session;
    before(() => { session = http2.connect(`http://${address}`); });
    after(() => session.close());

    const raw = (path: string, body: Buffer, headers: http2.OutgoingHttpHeaders = {}) => new Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; data: Buffer }>((resolve) => {
      const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
      let head: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on("response", (h) => { head = h; });
      req.on("trailers", (t) => { trailers = t; });
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("close", () => resolve({ headers: head, trailers, data: Buffer.concat(chunks) }));
      req.end(body);
    });

    test("the server's own deadline (grpc-timeout) ends a call the client does not cancel", async () => {
      aborted.length = 0;
      const r = await raw("/t.T/Hang", frame(json({})), { "grpc-timeout": "100m" });
      assert.equal(r.headers["grpc-status"], "4", "trailers-only: nothing was sent before the deadline");
      assert.deepEqual(aborted, ["Hang: DEADLINE_EXCEEDED"]);
    });

    test("a compressed message, a malformed grpc-timeout, two messages, not gRPC: each refused by name", async () => {
      const compressed = frame(json({}));
      compressed[0] = 1;
      assert.equal((await raw("/t.T/Echo", compressed)).headers["grpc-status"], "12");
      assert.equal((await raw("/t.T/Echo", frame(json({})), { "grpc-timeout": "soon" })).headers["grpc-status"], "13");
      const two = await raw("/t.T/Echo", Buffer.concat([frame(json({})), frame(json({}))]));
      assert.equal(two.headers["grpc-status"], "12");
      assert.match(decodeURIComponent(String(two.headers["grpc-message"])), /takes one request message, got 2/);
      assert.equal((await raw("/t.T/Echo", frame(json({})), { "content-type": "text/plain" })).headers["grpc-status"], "12");
    });

    test("responses are framed messages, the status comes in trailers", async () => {
      const r = await raw("/t.T/Echo", frame(json({ b: 2 })));
      assert.equal(r.headers["content-type"], "application/grpc");
      const messages = unframe(r.data, 1 << 20);
      assert.ok(Array.isArray(messages));
      assert.deepEqual(parse(messages[0]), { b: 2, auth: null, peer: null });
      assert.equal(r.trailers["grpc-status"], "0");
    });

    test("the server pings each connection (keep-alive)", async () => {
      await new Promise((resolve) => session.once("ping", resolve));
    });
  });

  test("close: a call in flight finishes, new connections are refused", async () => {
    const s = new GrpcServer(METHODS, { ...handlers, Echo: async (_c: ServerCall, req: Message) => { await new Promise((r) => setTimeout(r, 200)); return req; } });
    const addr = `127.0.0.1:${await s.listen("127.0.0.1", 0)}`;
    const c = new grpc.Client(addr, grpc.credentials.createInsecure());
    const inFlight = new Promise<Message>((resolve, reject) => c.makeUnaryRequest("/t.T/Echo", json, parse, { n: 1 }, new grpc.Metadata(), {}, (e, r) => (e ? reject(e) : resolve(r!))));
    await new Promise((r) => setTimeout(r, 50));
    await s.close(5000);
    assert.deepEqual(await inFlight, { n: 1 });
    c.close();
    const late = new grpc.Client(addr, grpc.credentials.createInsecure());
    const err = await new Promise<grpc.ServiceError>((resolve) => late.makeUnaryRequest("/t.T/Echo", json, parse, {}, new grpc.Metadata(), { deadline: Date.now() + 1000 }, (e) => resolve(e!)));
    assert.ok(["UNAVAILABLE", "DEADLINE_EXCEEDED"].includes(grpc.status[err.code]), grpc.status[err.code]);
    late.close();
  });
});

test("grpc-message and grpc-timeout", () => {
  assert.equal(grpcMessage("a→b 5%"), "a%E2%86%92b 5%25");
  assert.equal(decodeURIComponent(grpcMessage("line\nnext: \"x\"")), "line\nnext: \"x\"");
  assert.deepEqual(["1S", "250m", "2M", "1H", "1500u", "7n", "x", "123456789m"].map((t) => timeoutMs(t)), [1000, 250, 120_000, 3_600_000, 2, 1, null, null]);
  assert.equal(timeoutMs(undefined), undefined);
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}
