// The lint rule that keeps the operator's imports running one way: it refuses an import that runs
// back up, allows one that runs down, and the tree as it stands has none that runs back up.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("imports run one way in operator/src", () => {
  const cases: [room: string, source: string, refused: boolean][] = [
    ["executor", "../controller/decide.ts", true],
    ["executor", "../model/observation.ts", false],
    ["runtime", "../controller/reconciler.ts", true],
    ["runtime", "../executor/context.ts", true],
    ["model", "../executor/context.ts", true],
    ["planner", "../api/types.ts", true],
    ["api", "../planner/index.ts", false],
    ["controller", "../executor/run-plan.ts", false],
    ["controller", "../manager.ts", true],
    ["sidecar", "../controller/observe.ts", true],
  ];
  for (const [room, source, refused] of cases) {
    test(`${room}/ importing ${source}: ${refused ? "refused" : "allowed"}`, async () => {
      const errors = await boundaryErrors(`${root}/operator/src/${room}/probe.ts`, `import type { X } from "${source}";\nexport type Y = X;\n`);
      assert.equal(errors.length > 0, refused, errors.join("; "));
      if (refused) assert.match(errors[0], /imports run one way|wiring at the top/);
    });
  }

  test("common/ imports no package", async () => {
    const errors = await boundaryErrors(`${root}/common/probe.ts`, `import type { X } from "../operator/src/api/types.ts";\nexport type Y = X;\n`);
    assert.equal(errors.length, 1);
  });

  test("the tree has no import that runs back up", async () => {
    const results = await eslint.lintFiles(["operator/src/**/*.ts", "common/*.ts"]);
    const found = results.flatMap((r) => r.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => `${r.filePath}:${m.line} ${m.message}`));
    assert.deepEqual(found, []);
  });
});
