// cert-manager on the proving ground, for the suites that ask for certificates through
// spec.tls.issuerRef: its CRDs applied and its controllers (e2e/local/cert-manager, built from the
// pinned Go module) run on the host against the ground's API server, as the control plane runs. Its
// webhook and cainjector are not run: the suites create well-formed cert-manager objects.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kube } from "./mdb.ts";

const buildScript = fileURLToPath(new URL("../local/cert-manager/build.sh", import.meta.url));

export interface CertManager { stop(): Promise<void>; logFile: string }

/** Builds (once, cached) and starts cert-manager's controllers; `stop` ends them. The CRDs stay: objects of them go with their namespaces. */
export async function startCertManager(kube: Kube, logFile: string): Promise<CertManager> {
  const built = spawnSync("bash", [buildScript], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (built.status !== 0) throw new Error(`cert-manager build failed (bash ${buildScript})`);
  const cache = built.stdout.trim().split("\n").at(-1)!;
  const crds = join(cache, "crds");
  for (const file of readdirSync(crds)) await kube.must("kubectl", ["apply", "--server-side", "-f", join(crds, file)]);
  await kube.must("kubectl", ["wait", "--for=condition=Established", "--timeout=60s", "crd/certificates.cert-manager.io", "crd/issuers.cert-manager.io"]);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(join(cache, "bin", "cert-manager-controller"), ["--kubeconfig", kube.ground.kubeconfig], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return {
    logFile,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** A CA issuer in the namespace: a self-signed issuer makes the CA (Certificate NAME-root), and Issuer NAME signs with it. */
export function caIssuerManifest(name: string): string {
  return `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ${name}-selfsigned}
spec: {selfSigned: {}}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: ${name}-root}
spec:
  isCA: true
  commonName: ${name} root
  secretName: ${name}-root
  privateKey: {algorithm: ECDSA, size: 256}
  issuerRef: {name: ${name}-selfsigned, kind: Issuer, group: cert-manager.io}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: ${name}}
spec: {ca: {secretName: ${name}-root}}
`;
}
