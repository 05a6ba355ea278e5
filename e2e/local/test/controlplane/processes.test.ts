import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sleep } from "../../../../common/wait.ts";
import { isAlive, killProcessesNaming, ProcessTable } from "../../controlplane/processes.ts";

test("a started process is running and not exited; once it ends, exited says so at once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mdb-proc-"));
  try {
    const table = new ProcessTable(dir);
    const pid = table.start({ name: "sleeper", command: "/bin/sleep", args: ["0.3"] });
    assert.equal(table.running("sleeper"), pid);
    assert.equal(table.exited("sleeper"), false);
    for (let i = 0; i < 50 && !table.exited("sleeper"); i++) await sleep(50);
    assert.equal(table.exited("sleeper"), true);
    assert.equal(table.running("sleeper"), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a daemon whose pid file was overwritten is still found and killed by the directory it names", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mdb-proc-"));
  const other = mkdtempSync(join(tmpdir(), "mdb-proc-"));
  try {
    const table = new ProcessTable(dir);
    const orphan = table.start({ name: "d", command: "/bin/sh", args: ["-c", `sleep 30; : ${dir}/marker`] });
    const bystander = new ProcessTable(other).start({ name: "d", command: "/bin/sh", args: ["-c", `sleep 30; : ${dir}-longer/x`] });
    writeFileSync(join(dir, "pids", "d.pid"), JSON.stringify({ pid: 1, command: "/bin/sh" })); // a retried start's record
    for (let i = 0; i < 50 && !isAlive(orphan); i++) await sleep(20);
    const killed = await killProcessesNaming(dir);
    assert.deepEqual(killed.map((k) => Number(k.split(" ")[0])), [orphan]);
    assert.equal(isAlive(orphan), false);
    assert.equal(isAlive(bystander), true, "a process naming a longer path that starts like the directory is not ours");
    process.kill(-bystander, "SIGKILL");
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
