// Member names, the one home of their format (pure): "<cluster>-<shard>-<i>" for the members a
// cluster forms with (i = 0 is the shard's first primary), "<name>-r<k>" for a member that replaces one.

export const memberName = (cluster: string, shard: number, index: number): string => `${cluster}-${shard}-${index}`;

/** Replacement member names: "<name>-r1", then "-r2" … (a previous "-rK" suffix is bumped). */
export function replacementName(name: string, taken: ReadonlySet<string>): string {
  const match = /^(.*)-r(\d+)$/.exec(name);
  const stem = match ? match[1] : name;
  let k = match ? Number(match[2]) + 1 : 1;
  while (taken.has(`${stem}-r${k}`)) k++;
  return `${stem}-r${k}`;
}

/**
 * "<cluster>-<shard>-<i>", optionally with a replacement suffix "-r<k>", → shard and index;
 * undefined for any other name.
 */
export function parseMemberName(cluster: string, name: string): { shard: number; index: number; replacement: number } | undefined {
  const m = new RegExp(`^${cluster.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d+)-(\\d+)(?:-r(\\d+))?$`).exec(name);
  return m ? { shard: Number(m[1]), index: Number(m[2]), replacement: m[3] === undefined ? 0 : Number(m[3]) } : undefined;
}
