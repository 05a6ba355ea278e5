// meet: members that lost the cluster meet a well-connected member again (CLUSTER MEET through the
// sidecar's JoinCluster; a no-op for engines that already know each other).
import { ENGINE_PORT } from "../resources/names.ts";
import type { ExecutorContext } from "./context.ts";

export async function meetSeed(members: readonly string[], seedName: string, ctx: ExecutorContext): Promise<void> {
  const seed = ctx.observation.members.find((m) => m.name === seedName);
  if (!seed?.ip) return;
  await Promise.all(members.map(async (name) => {
    const client = ctx.sidecar(name);
    if (!client) return;
    try {
      await client.join([{ host: seed.ip, port: ENGINE_PORT }], { timeoutMs: 10_000 });
    } catch (err) {
      ctx.log.warn("meet failed", { member: name, seed: seedName, error: (err as Error)?.message ?? String(err) });
    }
  }));
}
