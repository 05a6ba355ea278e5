// Every primary engine's own view of the slots (CLUSTER NODES, asked of each engine directly): a slot
// owned by no primary or by two, and a slot left importing or migrating, are problems. What the
// scaling suites and chaos:scale check once a scale plan is over.
import { Redis } from "ioredis";

export interface OwnershipReport {
  /** Engines asked that answered as primaries. */
  views: number;
  /** Largest count over the views of slots owned by no primary or by more than one, or left importing/migrating. */
  orphanedSlots: number;
  problems: string[];
}

/** The slot problems one CLUSTER NODES text shows (pure). */
export function ownershipProblems(text: string): { orphaned: number; problems: string[] } {
  const owners = new Int32Array(16384);
  const transfers = new Set<number>();
  for (const line of text.split("\n").filter(Boolean)) {
    const [, , flags, , , , , , ...slots] = line.trim().split(" ");
    if (!flags?.split(",").includes("master") || flags.includes("fail")) continue;
    for (const r of slots) {
      const mark = /^\[(\d+)-[<>]-/.exec(r);
      if (mark) { transfers.add(Number(mark[1])); continue; }
      const [a, b] = r.split("-").map(Number);
      for (let s = a; s <= (b ?? a); s++) owners[s]++;
    }
  }
  let unowned = 0;
  let twice = 0;
  const orphanSet = new Set(transfers);
  owners.forEach((n, s) => {
    if (n === 0) unowned++;
    if (n > 1) twice++;
    if (n !== 1) orphanSet.add(s);
  });
  const problems = [
    ...(unowned ? [`${unowned} slots owned by no primary`] : []),
    ...(twice ? [`${twice} slots owned by two primaries`] : []),
    ...(transfers.size ? [`${transfers.size} slots left importing or migrating (e.g. ${[...transfers].slice(0, 3).join(", ")})`] : []),
  ];
  return { orphaned: orphanSet.size, problems };
}

/** Asks every engine at `hosts` (port 6379) for its view; replicas and engines that do not answer are skipped. */
export async function checkSlotOwnership(hosts: readonly string[], password: string): Promise<OwnershipReport> {
  const report: OwnershipReport = { views: 0, orphanedSlots: 0, problems: [] };
  await Promise.all(hosts.map(async (host) => {
    const r = new Redis({ host, port: 6379, password, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    r.on("error", () => undefined);
    try {
      await r.connect();
      const role = (await r.call("ROLE")) as unknown[];
      if (role[0] !== "master") return;
      const { orphaned, problems } = ownershipProblems(String(await r.call("CLUSTER", "NODES")));
      report.views++;
      report.orphanedSlots = Math.max(report.orphanedSlots, orphaned);
      report.problems.push(...problems.map((p) => `${host}: ${p}`));
    } catch {
      // not answering: counted by the caller through `views`
    } finally {
      r.disconnect();
    }
  }));
  return report;
}
