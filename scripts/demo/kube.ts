// kubectl and helm for the demo: one place that runs them against one kubeconfig and turns a failure
// into an error that names the command, what it said, and what to do.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** A failure the demo reports as: what failed, why, and what to do next. */
export class DemoError extends Error {
  constructor(readonly what: string, readonly detail: string, readonly fix: string) {
    super(`${what}: ${detail}`);
  }
}

export interface RunResult { ok: boolean; stdout: string; stderr: string }

export class Kube {
  constructor(readonly binDir: string | undefined, readonly kubeconfig: string) {}

  /** The tool's path: from the pinned build's directory, or from PATH when there is none. */
  tool(name: "kubectl" | "helm"): string {
    return this.binDir ? join(this.binDir, name) : name;
  }

  run(tool: "kubectl" | "helm", args: string[]): RunResult {
    const r = spawnSync(this.tool(tool), ["--kubeconfig", this.kubeconfig, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw new DemoError(`running ${tool}`, r.error.message, `check that ${this.tool(tool)} exists (bash e2e/local/toolchain/build.sh builds it)`);
    return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr.trim() };
  }

  /** Runs the command; a failure becomes a DemoError with `fix` as the advice. */
  must(tool: "kubectl" | "helm", args: string[], fix: string): string {
    const r = this.run(tool, args);
    if (!r.ok) throw new DemoError(`${tool} ${args.join(" ")}`, r.stderr || "failed without a message", fix);
    return r.stdout;
  }

  kubectl(args: string[], fix = "see the message above"): string {
    return this.must("kubectl", args, fix);
  }

  /** The object as JSON, or undefined when it does not exist. */
  getJson<T>(args: string[]): T | undefined {
    const r = this.run("kubectl", ["get", ...args, "-o", "json"]);
    if (r.ok) return JSON.parse(r.stdout) as T;
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new DemoError(`kubectl get ${args.join(" ")}`, r.stderr, "check that the cluster is reachable: kubectl get nodes");
  }
}
