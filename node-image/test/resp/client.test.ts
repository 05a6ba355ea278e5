// The engine connection (node-image/src/resp/): RESP2 replies split anywhere, and the client against a
// scripted engine on 127.0.7.1: AUTH first, the wait while the engine loads, replies in order through a
// command timeout, refusal while not ready, reconnects on the caller's schedule, and why it is down.
import { describe, test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { encodeCommand, EngineReplyError, ReplyParser, RespProtocolError, type Reply } from "../../src/resp/reply-parser.ts";
import { RespClient, type RespClientOptions } from "../../src/resp/client.ts";
import { waitFor } from "../../../common/wait.ts";

describe("RESP2 reply parser", () => {
  const wire = Buffer.from("+OK\r\n-ERR wrong\r\n:42\r\n$-1\r\n$5\r\nhé\r\n\r\n*3\r\n$1\r\na\r\n*2\r\n:1\r\n$0\r\n\r\n*-1\r\n*0\r\n");
  const expected = ["OK", new EngineReplyError("ERR wrong"), 42, null, "hé\r\n", ["a", [1, ""], null], []];

  test("every reply type, fed whole or split at every byte", () => {
    assert.deepEqual(new ReplyParser().feed(wire), expected);
    for (let cut = 1; cut < wire.length; cut++) {
      const p = new ReplyParser();
      assert.deepEqual([...p.feed(wire.subarray(0, cut)), ...p.feed(wire.subarray(cut))], expected, `split at ${cut}`);
    }
    const p = new ReplyParser();
    const oneByOne = [...wire].flatMap((b) => p.feed(Buffer.from([b])));
    assert.deepEqual(oneByOne, expected);
  });

  test("an error reply is an EngineReplyError with the engine's line", () => {
    const [e] = new ReplyParser().feed(Buffer.from("-LOADING Redis is loading the dataset in memory\r\n"));
    assert.ok(e instanceof EngineReplyError);
    assert.equal(e.message, "LOADING Redis is loading the dataset in memory");
  });

  test("bytes that are not RESP are refused", () => {
    assert.throws(() => new ReplyParser().feed(Buffer.from("HTTP/1.1 400\r\n")), RespProtocolError);
    assert.throws(() => new ReplyParser().feed(Buffer.from(":x1\r\n")), /expected an integer/);
  });

  test("a command is an array of bulk strings, lengths in bytes", () => {
    assert.equal(encodeCommand(["SET", "k", "é", 7]).toString("utf8"), "*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$1\r\n7\r\n");
    assert.deepEqual(new ReplyParser().feed(encodeCommand(["CLUSTER", "INFO"])), [["CLUSTER", "INFO"]]);
  });
});

/** A scripted engine: `answer` gives the reply bytes for each command (undefined: no reply), written in order as an engine does. */
function fakeEngine(answer: (args: string[], conn: number) => string | undefined | Promise<string | undefined>): Promise<{ server: Server; port: number; commands: string[][]; sockets: Set<Socket> }> {
  const commands: string[][] = [];
  const sockets = new Set<Socket>();
  let conns = 0;
  const server = createServer((socket) => {
    const conn = ++conns;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    const parser = new ReplyParser();
    let replies = Promise.resolve();
    socket.on("data", (chunk) => {
      for (const cmd of parser.feed(chunk) as Reply[][]) {
        const args = cmd.map(String);
        commands.push(args);
        replies = replies.then(async () => { const reply = await answer(args, conn); if (reply !== undefined && !socket.destroyed) socket.write(reply); });
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.7.1", () => resolve({ server, port: (server.address() as { port: number }).port, commands, sockets })));
}

const bulk = (s: string) => `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
const options = (port: number, over: Partial<RespClientOptions> = {}): RespClientOptions => ({
  host: "127.0.7.1", port, connectTimeoutMs: 1000, commandTimeoutMs: 1000, retryDelayMs: () => 50, queueWhileConnecting: false, ...over,
});

describe("RespClient", () => {
  const servers: Server[] = [];
  const clients: RespClient[] = [];
  const track = (c: RespClient) => { c.on("error", () => {}); clients.push(c); return c; };
  after(() => { for (const c of clients) c.disconnect(); for (const s of servers) s.close(); });

  test("AUTH first, then the ready check; ready only once the engine stopped loading", async () => {
    let loadingLooks = 0;
    const e = await fakeEngine(([cmd, arg]) => {
      if (cmd === "AUTH") return arg === "pw" ? "+OK\r\n" : "-WRONGPASS invalid username-password pair\r\n";
      if (cmd === "INFO") return bulk(`# Persistence\r\nloading:${++loadingLooks < 3 ? 1 : 0}\r\n`);
      return "+PONG\r\n";
    });
    servers.push(e.server);
    const c = track(new RespClient(options(e.port, { password: "pw" })));
    await c.connect();
    assert.equal(c.status, "ready");
    assert.deepEqual(e.commands.slice(0, 2), [["AUTH", "pw"], ["INFO", "persistence"]]);
    assert.equal(loadingLooks, 3, "it looked again while the engine was loading");
    assert.equal(await c.call("PING"), "PONG");
  });

  test("a wrong password: never ready, and the status says why", async () => {
    const e = await fakeEngine(([cmd]) => (cmd === "AUTH" ? "-WRONGPASS invalid username-password pair\r\n" : "+OK\r\n"));
    servers.push(e.server);
    const c = track(new RespClient(options(e.port, { password: "bad" })));
    void c.connect().catch(() => {});
    await waitFor(() => (c.lastError ? true : undefined), { timeoutMs: 5000, what: "the AUTH failure" });
    assert.notEqual(c.status, "ready");
    assert.match(c.describeStatus(), /WRONGPASS/);
    await assert.rejects(c.call("PING"), /is not connected \((connecting|reconnecting): WRONGPASS/);
  });

  test("an engine with no password refuses AUTH, and the connection is ready anyway", async () => {
    const e = await fakeEngine(([cmd]) => (cmd === "AUTH" ? "-ERR AUTH <password> called without any password configured for the default user.\r\n" : cmd === "INFO" ? bulk("loading:0\r\n") : "+OK\r\n"));
    servers.push(e.server);
    const c = track(new RespClient(options(e.port, { password: "pw" })));
    await c.connect();
    assert.equal(await c.call("SET", "k", "v"), "OK");
  });

  test("replies in order, an error reply rejects its own command only, a timed-out command's late reply is not given to the next", async () => {
    let pings = 0;
    let release: (reply: string) => void = () => {};
    const e = await fakeEngine(([cmd, arg], conn) => {
      if (cmd === "INFO") return bulk("loading:0\r\n");
      if (cmd === "SLOW") return new Promise((r) => { release = r; });
      if (cmd === "BAD") return "-ERR unknown command 'BAD'\r\n";
      return `+${cmd}${arg ?? ""}#${conn}.${++pings}\r\n`;
    });
    servers.push(e.server);
    const c = track(new RespClient(options(e.port, { commandTimeoutMs: 100 })));
    await c.connect();
    const [a, b, bad] = await Promise.allSettled([c.call("ECHO", "1"), c.call("ECHO", "2"), c.call("BAD")]);
    assert.deepEqual([a, b].map((r) => (r as PromiseFulfilledResult<Reply>).value), ["ECHO1#1.1", "ECHO2#1.2"]);
    assert.ok(bad.status === "rejected" && bad.reason instanceof EngineReplyError && /unknown command/.test(bad.reason.message));
    await assert.rejects(c.call("SLOW"), /Command timed out after 100 ms: SLOW/);
    const next = c.call("ECHO", "3");
    release("+LATE\r\n"); // the engine answers SLOW only now, then ECHO 3, in order
    assert.equal(await next, "ECHO3#1.3", "the late +LATE was the timed-out command's, not this one's");
    assert.equal(c.status, "ready", "a timeout does not close the connection");
  });

  test("not ready: refused at once (no queue); the engine going away closes, rejects what is in flight and reconnects on schedule", async () => {
    let hang = false;
    const e = await fakeEngine(([cmd]) => (cmd === "INFO" ? bulk("loading:0\r\n") : hang ? undefined : "+OK\r\n"));
    servers.push(e.server);
    const attempts: number[] = [];
    const c = track(new RespClient(options(e.port, { retryDelayMs: (n) => { attempts.push(n); return 30; } })));
    await assert.rejects(c.call("PING"), /is not connected \((connecting|wait)\)/);
    await c.connect();
    let closes = 0;
    c.on("close", () => closes++);
    hang = true;
    const inFlight = c.call("PING");
    for (const s of e.sockets) s.destroy();
    await assert.rejects(inFlight, /closed/);
    hang = false;
    await waitFor(() => (c.status === "ready" ? true : undefined), { timeoutMs: 5000, what: "the reconnect" });
    assert.equal(closes, 1);
    assert.deepEqual(attempts, [1]);
    assert.equal(await c.call("PING"), "OK");
  });

  test("a peer connection: queues until connected, and with no retry ends when the engine is gone", async () => {
    const e = await fakeEngine(([, section]) => (section === "persistence" ? bulk("loading:0\r\n") : bulk("role:master")));
    servers.push(e.server);
    const peer = track(new RespClient(options(e.port, { queueWhileConnecting: true, retryDelayMs: () => null })));
    assert.equal(peer.status, "wait");
    assert.equal(await peer.call("INFO", "replication"), "role:master", "the first command connected it");
    peer.disconnect();
    assert.equal(peer.status, "end");
    await assert.rejects(peer.call("PING"), /not connected \(end\)/);
    await new Promise<void>((r) => e.server.close(() => r()));
    const gone = track(new RespClient(options(e.port, { queueWhileConnecting: true, retryDelayMs: () => null })));
    await assert.rejects(gone.call("PING"), /closed/);
    assert.equal(gone.status, "end");
    assert.match(gone.describeStatus(), /ECONNREFUSED/);
  });
});
