// The V8 heap flags of our Node processes in a container, the one home of the choice
// (docs/footprint.md#v8-heap-flags). The member pod's sidecar gets them in NODE_OPTIONS from its memory
// limit (operator/src/resources/member-pod.ts); the chart's default nodeOptions is this function's
// answer for the operator's default limit (charts/mdb-operator/test/chart.test.ts checks it). The
// flags Node refuses in NODE_OPTIONS go on the images' command lines (NODE_COMMAND_FLAGS, OPERATOR_COMMAND_FLAGS).

/**
 * What a process of ours holds outside V8's old generation, in MiB: the Node binary's mapped pages, the
 * young generation, code, malloc'd buffers (measured: 45–55 MiB for the sidecar and the operator).
 */
export const NON_HEAP_RESERVE_MIB = 64;
/** The smallest old generation worth running with, in MiB. */
export const MIN_OLD_SPACE_MIB = 32;

/**
 * `--max-semi-space-size=1`: a young generation of 1 MiB semi-spaces instead of V8's default of up to
 * 16 MiB; every process here allocates little per request, and the larger semi-spaces only held
 * garbage (−11 MiB resident for the sidecar). `--max-old-space-size`: the limit less what the process
 * holds besides the heap, so V8 collects harder as it nears the container's limit instead of the
 * kernel killing it (under a cgroup limit V8 would otherwise allow itself 259 MiB or more).
 */
export function nodeOptions(memoryLimitBytes: number | undefined): string {
  const flags = ["--max-semi-space-size=1"];
  if (memoryLimitBytes && memoryLimitBytes > 0) {
    const limitMiB = Math.floor(memoryLimitBytes / 2 ** 20);
    flags.push(`--max-old-space-size=${Math.max(MIN_OLD_SPACE_MIB, limitMiB - NON_HEAP_RESERVE_MIB)}`);
  }
  return flags.join(" ");
}

/**
 * V8 flags on the images' command lines (node-image/bin/mdb-sidecar, operator/Dockerfile's CMD; their
 * tests check them against this list): Node refuses them in NODE_OPTIONS (docs/footprint.md#v8-heap-flags).
 * `--no-turbofan`: V8's top compiler off, its code never paged in (−3 to −9 MiB resident); Maglev, the
 * mid tier, kept: without it too the sidecar was 4 MiB smaller but a key-by-key move 2.6× slower, and
 * the planner's largest placement 3× slower. `--optimize-for-size`: V8 grows the heap in smaller steps
 * and keeps less (−3 MiB). `--no-node-snapshot`: Node bootstraps by running its built-in modules
 * (from their code cache) instead of deserializing its start-up snapshot, whose pages of the binary it
 * then never touches: −3.7 MiB resident for the sidecar and the operator, +32 ms per start.
 */
export const NODE_COMMAND_FLAGS: readonly string[] = ["--no-turbofan", "--optimize-for-size", "--no-node-snapshot"];

/**
 * The operator's: those, and `--no-sparkplug` (no baseline machine code beside the bytecode; a hot
 * function goes from the interpreter to Maglev): −4 MiB of code with ten clusters, whose code grows
 * as more of its paths run hot; the planner's largest placement +6 % CPU. Not the sidecar's: −1 MiB
 * there, and a guarded atomic move's pace comes from a probe in the sidecar's thread (docs/footprint.md).
 */
export const OPERATOR_COMMAND_FLAGS: readonly string[] = ["--no-turbofan", "--no-sparkplug", "--optimize-for-size", "--no-node-snapshot"];

/**
 * glibc's arenas for both images (`MALLOC_ARENA_MAX` in their Dockerfiles' ENV and their stand-ins in
 * e2e/local/images.yaml; their tests check both): by default glibc gives each thread that allocates an
 * arena of its own, and V8's workers (background compilation, GC) and libuv's (WebCrypto) left memory
 * in theirs. One arena for all: the idle sidecar on real nodes 65.3 → 63.7 MiB (its arenas' mappings
 * 3.5 → 2.0), the operator with ten clusters 83.6 → 82.4 (docs/footprint.md#the-numbers).
 */
export const MALLOC_ARENA_MAX = "1";
