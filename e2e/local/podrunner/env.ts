// A container's environment as the kubelet builds it: envFrom first, then env in order (later wins),
// with downward-API fields, Secret and ConfigMap keys, and $(VAR) references to earlier variables.
// Pure: Secrets and ConfigMaps are passed in already fetched (see referencedObjects).
import type { V1Container, V1Pod } from "@kubernetes/client-node";

/** A config error leaves the container Waiting with reason CreateContainerConfigError and this message. */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ContainerConfigError";
  }
}

export interface EnvLookups {
  /** Secret data decoded to strings, by name; undefined = not found. */
  secret(name: string): Record<string, string> | undefined;
  configMap(name: string): Record<string, string> | undefined;
}

export interface PodRuntimeFacts {
  podIP: string;
  hostIP: string;
  /** Node allocatable, for resourceFieldRef when the container sets no limit. */
  nodeAllocatable: Record<string, string>;
}

/** Names of the Secrets and ConfigMaps a container's env and envFrom read. */
export function referencedObjects(container: V1Container): { secrets: string[]; configMaps: string[] } {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
    if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    if (e.valueFrom?.configMapKeyRef?.name) configMaps.add(e.valueFrom.configMapKeyRef.name);
  }
  return { secrets: [...secrets], configMaps: [...configMaps] };
}

/** The value of a downward-API fieldRef, or a ContainerConfigError naming the unsupported path. */
export function fieldRefValue(pod: V1Pod, fieldPath: string, facts: PodRuntimeFacts): string {
  const subscript = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (subscript) {
    const source = subscript[1] === "labels" ? pod.metadata?.labels : pod.metadata?.annotations;
    return source?.[subscript[2]] ?? "";
  }
  switch (fieldPath) {
    case "metadata.name": return pod.metadata?.name ?? "";
    case "metadata.namespace": return pod.metadata?.namespace ?? "";
    case "metadata.uid": return pod.metadata?.uid ?? "";
    case "metadata.labels": return formatMap(pod.metadata?.labels);
    case "metadata.annotations": return formatMap(pod.metadata?.annotations);
    case "spec.nodeName": return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? "default";
    case "status.podIP": case "status.podIPs": return facts.podIP;
    case "status.hostIP": case "status.hostIPs": return facts.hostIP;
    default:
      throw new ContainerConfigError(`fieldRef.fieldPath "${fieldPath}" is not supported by the proving ground's pod runner; ` +
        "use metadata.name|namespace|uid|labels|annotations, spec.nodeName, spec.serviceAccountName or status.podIP|hostIP");
  }
}

/** `key="value"` lines, sorted, as the kubelet writes labels/annotations into downward-API files. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((k) => `${k}=${JSON.stringify(map![k])}`).join("\n");
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity ("500m", "2Gi", "1e3") as a number; throws naming the value when malformed. */
export function parseQuantity(value: string): number {
  const m = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(value.trim());
  if (!m || Number.isNaN(Number(m[1]))) throw new ContainerConfigError(`"${value}" is not a Kubernetes quantity (e.g. 500m, 2Gi)`);
  const suffix = m[2] ?? "";
  return Number(m[1]) * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix]);
}

/** resourceFieldRef: the container's limit (falling back to node allocatable), divided and rounded up. */
export function resourceFieldValue(container: V1Container, resource: string, divisor: string | undefined, facts: PodRuntimeFacts): string {
  const [kind, name] = resource.split(".");
  if (!["limits", "requests"].includes(kind) || !name) {
    throw new ContainerConfigError(`resourceFieldRef.resource "${resource}" must be limits.<name> or requests.<name>`);
  }
  const own = (kind === "limits" ? container.resources?.limits : container.resources?.requests)?.[name];
  const raw = own ?? (kind === "limits" ? facts.nodeAllocatable[name] : "0");
  if (raw === undefined) throw new ContainerConfigError(`resourceFieldRef.resource "${resource}": no limit and no node allocatable value`);
  const amount = parseQuantity(String(raw));
  const unit = parseQuantity(divisor ?? "1");
  return String(Math.ceil(amount / unit));
}

/** Expands $(NAME) from `vars`; $$ escapes; unknown references stay as written (kubelet behaviour). */
export function expandReferences(value: string, vars: Record<string, string>): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === "$" && value[i + 1] === "$") { out += "$"; i++; continue; }
    if (c === "$" && value[i + 1] === "(") {
      const end = value.indexOf(")", i + 2);
      if (end > 0) {
        const name = value.slice(i + 2, end);
        if (Object.hasOwn(vars, name)) { out += vars[name]; i = end; continue; }
      }
    }
    out += c;
  }
  return out;
}

/** The container's declared environment (without the runner's own additions), in Kubernetes order. */
export function resolveContainerEnv(pod: V1Pod, container: V1Container, lookups: EnvLookups, facts: PodRuntimeFacts): Record<string, string> {
  const env: Record<string, string> = {};
  const where = `container "${container.name}"`;
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.secretRef) {
      const data = lookups.secret(from.secretRef.name ?? "");
      if (!data) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`${where}: envFrom: secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
    }
    if (from.configMapRef) {
      const data = lookups.configMap(from.configMapRef.name ?? "");
      if (!data) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`${where}: envFrom: configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
    }
  }
  for (const e of container.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expandReferences(e.value ?? "", env);
      continue;
    }
    const { fieldRef, resourceFieldRef, secretKeyRef, configMapKeyRef } = e.valueFrom;
    if (fieldRef) {
      env[e.name] = fieldRefValue(pod, fieldRef.fieldPath, facts);
    } else if (resourceFieldRef) {
      env[e.name] = resourceFieldValue(container, resourceFieldRef.resource, resourceFieldRef.divisor, facts);
    } else if (secretKeyRef) {
      const data = lookups.secret(secretKeyRef.name ?? "");
      const value = data?.[secretKeyRef.key];
      if (value === undefined) {
        if (secretKeyRef.optional) continue;
        throw new ContainerConfigError(data
          ? `${where}: env ${e.name}: couldn't find key ${secretKeyRef.key} in Secret ${pod.metadata?.namespace}/${secretKeyRef.name}`
          : `${where}: env ${e.name}: secret "${secretKeyRef.name}" not found`);
      }
      env[e.name] = value;
    } else if (configMapKeyRef) {
      const data = lookups.configMap(configMapKeyRef.name ?? "");
      const value = data?.[configMapKeyRef.key];
      if (value === undefined) {
        if (configMapKeyRef.optional) continue;
        throw new ContainerConfigError(data
          ? `${where}: env ${e.name}: couldn't find key ${configMapKeyRef.key} in ConfigMap ${pod.metadata?.namespace}/${configMapKeyRef.name}`
          : `${where}: env ${e.name}: configmap "${configMapKeyRef.name}" not found`);
      }
      env[e.name] = value;
    } else {
      throw new ContainerConfigError(`${where}: env ${e.name}: valueFrom names no source (fieldRef, resourceFieldRef, secretKeyRef or configMapKeyRef)`);
    }
  }
  return env;
}

/** Variables the kubelet adds so in-cluster clients find the API server (here: the bridge gateway). */
export function serviceEnv(apiHost: string, apiPort: number): Record<string, string> {
  return {
    KUBERNETES_SERVICE_HOST: apiHost,
    KUBERNETES_SERVICE_PORT: String(apiPort),
    KUBERNETES_SERVICE_PORT_HTTPS: String(apiPort),
    KUBERNETES_PORT: `tcp://${apiHost}:${apiPort}`,
    [`KUBERNETES_PORT_${apiPort}_TCP`]: `tcp://${apiHost}:${apiPort}`,
    [`KUBERNETES_PORT_${apiPort}_TCP_PROTO`]: "tcp",
    [`KUBERNETES_PORT_${apiPort}_TCP_PORT`]: String(apiPort),
    [`KUBERNETES_PORT_${apiPort}_TCP_ADDR`]: apiHost,
  };
}

/** Expands $(VAR) in command and args with the final environment, as the kubelet does. */
export function expandArgv(argv: string[], env: Record<string, string>): string[] {
  return argv.map((a) => expandReferences(a, env));
}
