// `npm run kind:up [-- --topology FILE]` and `npm run kind:down` (e2e/kind/cluster.ts; docs/kind.md).
import { exportLine, kindDown, kindOptions, kindUp } from "./cluster.ts";

const [command, ...args] = process.argv.slice(2);
const opts = kindOptions(process.env, args);
try {
  if (command === "up") {
    const state = await kindUp(opts);
    console.log(exportLine(state));
  } else if (command === "down") {
    await kindDown(opts);
  } else {
    throw new Error(`unknown command '${command ?? ""}': expected up or down`);
  }
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
