// The `restricted` Pod Security Standard (baseline included) as plain checks on a pod spec, for unit
// tests of the pods we build; the e2e suites prove the same with the API server's PodSecurity
// admission (namespaces labelled pod-security.kubernetes.io/enforce=restricted).
import type { V1Container, V1PodSpec, V1SecurityContext } from "@kubernetes/client-node";

const ALLOWED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

/** What keeps `spec` from passing `restricted`, one line per violation naming the container; empty when it passes. */
export function restrictedViolations(spec: V1PodSpec): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push("host namespaces (hostNetwork, hostPID or hostIPC)");
  for (const v of spec.volumes ?? []) {
    const kind = Object.keys(v).find((k) => k !== "name");
    if (!kind || !ALLOWED_VOLUMES.includes(kind)) out.push(`volume ${v.name}: type ${kind} is not allowed`);
  }
  if (pod.runAsUser === 0) out.push("pod: runAsUser 0");
  if (pod.seccompProfile?.type === "Unconfined") out.push("pod: seccompProfile Unconfined");
  if ((pod.sysctls ?? []).length > 0) out.push("pod: sysctls (only a safe set is allowed; none are needed)");
  const containers: V1Container[] = [...(spec.initContainers ?? []), ...spec.containers];
  for (const c of containers) {
    const sc: V1SecurityContext = c.securityContext ?? {};
    const at = `container ${c.name}`;
    if (sc.privileged) out.push(`${at}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation must be false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) out.push(`${at}: capabilities must drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) out.push(`${at}: adds capabilities ${added.join(", ")}`);
    if (!(sc.runAsNonRoot ?? pod.runAsNonRoot)) out.push(`${at}: runAsNonRoot must be true (pod or container)`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${at}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") out.push(`${at}: seccompProfile must be RuntimeDefault or Localhost (pod or container), is ${seccomp}`);
    if ((c.ports ?? []).some((p) => p.hostPort)) out.push(`${at}: hostPort`);
    if (sc.procMount && sc.procMount !== "Default") out.push(`${at}: procMount ${sc.procMount}`);
  }
  return out;
}
