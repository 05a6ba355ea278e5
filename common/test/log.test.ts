// The one log format (common/log.ts): the leading fields in their order, what a line is about from
// the logger's base, the work's log context and the call's own fields, and the level filter.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { currentLogContext, formatLine, makeLogger, withLogContext, type LoggerOptions } from "../log.ts";

const AT = new Date("2026-12-01T10:00:00.000Z");

/** A logger whose lines are collected, parsed (and kept as text, to see the order of the fields). */
function capture(opts: LoggerOptions = {}) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on("data", (chunk: Buffer) => lines.push(...chunk.toString().split("\n").filter(Boolean)));
  const log = makeLogger({ now: () => AT, stream, ...opts });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("log format", () => {
  test("time, level, cluster, member, shard, plan, step, message lead in that order; the line's own fields follow", () => {
    const line = formatLine({ level: "info", message: "state ONLINE → ACTIVE", reason: "AssignSlots", step: "assign-0" },
      { cluster: "ns/demo", member: "demo-1-0", shard: 1 }, { plan: "p-7" }, AT);
    assert.equal(line, '{"time":"2026-12-01T10:00:00.000Z","level":"info","cluster":"ns/demo","member":"demo-1-0","shard":1,"plan":"p-7","step":"assign-0","message":"state ONLINE → ACTIVE","reason":"AssignSlots"}');
  });

  test("what a line is about: its own fields win over the log context, which wins over the logger's base; unknown ones are left out", () => {
    const { log, parsed } = capture({ base: { cluster: "ns/demo", member: "demo-0-0" } });
    withLogContext({ plan: "p-1", step: "move-0" }, () => log.info("a", { step: "move-1" }));
    log.info("b", { member: "demo-0-1" });
    assert.deepEqual(parsed(), [
      { time: AT.toISOString(), level: "info", cluster: "ns/demo", member: "demo-0-0", plan: "p-1", step: "move-1", message: "a" },
      { time: AT.toISOString(), level: "info", cluster: "ns/demo", member: "demo-0-1", message: "b" },
    ]);
  });

  test("the log context follows the work across awaits and nests", async () => {
    const { log, parsed } = capture();
    await withLogContext({ cluster: "ns/a", plan: "p-2" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      await withLogContext({ step: "s-1" }, async () => {
        await Promise.resolve();
        log.info("inner");
        assert.deepEqual(currentLogContext(), { cluster: "ns/a", plan: "p-2", step: "s-1" });
      });
      log.info("outer");
    });
    log.info("none");
    assert.deepEqual(parsed().map((l) => [l.message, l.cluster ?? "", l.plan ?? "", l.step ?? ""]), [
      ["inner", "ns/a", "p-2", "s-1"], ["outer", "ns/a", "p-2", ""], ["none", "", "", ""],
    ]);
  });

  test("the level filters; an Error field is written as its message", () => {
    const { log, parsed } = capture({ level: "warn" });
    log.debug("hidden");
    log.info("hidden too");
    log.warn("shown", { error: new Error("engine 10.0.0.1:6379 is not connected") });
    log.error("also shown");
    assert.deepEqual(parsed().map((l) => [l.level, l.message, l.error]), [["warn", "shown", "engine 10.0.0.1:6379 is not connected"], ["error", "also shown", undefined]]);
  });
});

describe("where lines go", () => {
  test("info and debug to stdout, warn and error to stderr; silent writes nothing; the level is readable", async () => {
    const { spawnSync } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const script = [
      `import { makeLogger } from ${JSON.stringify(fileURLToPath(new URL("../log.ts", import.meta.url)))};`,
      `const log = makeLogger({ level: "debug" });`,
      `log.debug("d"); log.info("i"); log.warn("w"); log.error("e");`,
      `makeLogger({ silent: true }).error("never");`,
      `console.log(makeLogger({ level: "warn" }).level);`,
    ].join("\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const messages = (text: string) => text.split("\n").filter((l) => l.startsWith("{")).map((l) => (JSON.parse(l) as { message: string }).message);
    assert.deepEqual(messages(r.stdout), ["d", "i"]);
    assert.deepEqual(messages(r.stderr), ["w", "e"]);
    assert.match(r.stdout, /^warn$/m);
  });
});
