import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlSocketPath, sendControl, serveControl, type ControlRequest } from "../../podrunner/control.ts";

function rawRequest(socketPath: string, method: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ socketPath, method, path }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    r.on("error", reject);
    r.end(body);
  });
}

describe("the control socket (pod runner and real-node agent)", () => {
  test("a request is checked, logged and handled; refusals and failures come back as 400 with the message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mdb-control-"));
    writeFileSync(controlSocketPath(dir), "left over by a crashed runner");
    const seen: ControlRequest[] = [];
    const logged: string[] = [];
    const server = await serveControl(dir, async (req) => {
      seen.push(req);
      if (req.action === "kill") throw new Error(`no pod ${req.pod}`);
      return { ok: true, message: "2 pod(s)", data: { pods: [] } };
    }, (l) => logged.push(l));
    try {
      const reply = await sendControl(dir, { action: "status" });
      assert.deepEqual(reply, { ok: true, message: "2 pod(s)", data: { pods: [] } });
      await assert.rejects(sendControl(dir, { action: "kill", pod: "ns/p" }), /no pod ns\/p/);
      const unknown = await rawRequest(controlSocketPath(dir), "POST", "/control", JSON.stringify({ action: "reboot" }));
      assert.equal(unknown.status, 400);
      assert.match((JSON.parse(unknown.body) as { message: string }).message, /unknown action "reboot"; expected kill, stop-node/);
      const get = await rawRequest(controlSocketPath(dir), "GET", "/control", "");
      assert.equal(get.status, 400);
      assert.match((JSON.parse(get.body) as { message: string }).message, /POST \/control only/);
      assert.deepEqual(seen.map((r) => r.action), ["status", "kill"], "only valid requests reach the handler");
      assert.deepEqual(logged, ['control: {"action":"status"}', 'control: {"action":"kill","pod":"ns/p"}']);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("no runner: sendControl says how to start one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mdb-control-"));
    try {
      await assert.rejects(sendControl(dir, { action: "status" }), /the pod runner is not running .* npm run cluster:up/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
