import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { describe, it } from "node:test";
import { EngineDriver } from "../../src/sidecar/engine.ts";
import { electionCooldownLeftMs } from "../../src/sidecar/member-roles.ts";

describe("electionCooldownLeftMs", () => {
  it("is 4 × cluster-node-timeout after the election the member won", () => {
    assert.equal(electionCooldownLeftMs(10_000, 5000, 10_000), 20_000);
    assert.equal(electionCooldownLeftMs(10_000, 5000, 25_000), 5000);
    assert.equal(electionCooldownLeftMs(10_000, 5000, 30_000), 0);
    assert.equal(electionCooldownLeftMs(10_000, 5000, 90_000), 0);
  });

  it("counts the engine's 2 s floor on the auth timeout", () => {
    assert.equal(electionCooldownLeftMs(0, 500, 0), 4000);
    assert.equal(electionCooldownLeftMs(0, 500, 4000), 0);
  });
});

describe("EngineDriver.onDisconnect", () => {
  it("fires when the engine's connection closes", async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => { sockets.push(s); s.on("error", () => undefined); });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    const engine = new EngineDriver("127.0.0.1", port, "password");
    try {
      let closes = 0;
      engine.onDisconnect(() => { closes++; });
      while (sockets.length === 0) await new Promise((r) => setTimeout(r, 10));
      for (const s of sockets) s.destroy();
      const deadline = Date.now() + 2000;
      while (closes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.ok(closes > 0, "no close reported");
    } finally {
      await engine.close();
      server.close();
    }
  });
});
