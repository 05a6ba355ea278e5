// The member pod (pure): the engine from the engine image, with the config an init container from the
// sidecar's image renders into a shared volume first, and the mdb-sidecar (docs/engines.md#the-member-pod);
// pinned to the node the planner chose by required node affinity, so the scheduler still checks
// resources, taints and cordon (docs/architecture.md#placement). Non-root, read-only root filesystem,
// no capabilities (docs/architecture.md#security).
import type { V1Container, V1PersistentVolumeClaim, V1Pod, V1Volume } from "@kubernetes/client-node";
import { ENGINE_CONFIG_DIR, ENGINE_CONFIG_FILE, engineLaunchCommand } from "../../../common/engine-image.ts";
import { engineContainerEnv, MemberEnv, POD_IP_FIELD, sidecarContainerEnv, type SharedEnvInput } from "../../../common/member-env.ts";
import { nodeOptions } from "../../../common/node-options.ts";
import { memoryBytes } from "../planner/index.ts";
import type { MdbCluster, ResolvedSpec } from "../api/types.ts";
import {
  authSecretName, BUS_PORT, ENGINE_PORT, headlessServiceName, HEALTH_PORT, memberLabels, memberTlsSecretName, METRICS_PORT, METRICS_PORT_NAME, ownerReference, pvcName, SIDECAR_PORT,
  sidecarSecretName,
} from "./names.ts";
import { MEMBER_TLS_KEYS } from "./tls-secrets.ts";

export interface MemberPodInput {
  cluster: MdbCluster;
  spec: ResolvedSpec;
  member: string;
  shard: number;
  /** The node's value of the host topology label (kubernetes.io/hostname by default). */
  hostLabelValue: string;
  node: string;
}

const PASSWORD_DIR = "/etc/mdb/auth";
const TOKEN_DIR = "/etc/mdb/sidecar";
/**
 * The member's TLS Secret (docs/architecture/sidecar.md#mtls): the sidecar serves its API with it and
 * re-reads it when the kubelet updates it; with spec.tls.enabled the engine serves clients with it too.
 */
export const SIDECAR_TLS_DIR = "/etc/mdb/tls";

const securityContext = {
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
};

export function buildMemberPod(input: MemberPodInput): V1Pod {
  const { cluster, spec, member, shard } = input;
  const name = cluster.metadata!.name!;
  const namespace = cluster.metadata!.namespace!;
  const announce = `${member}.${headlessServiceName(name)}.${namespace}.svc`;
  // Both containers: the pod IP (downward API), the data dir, the engine's port and password, and the
  // spec's node timeout (the engine runs with it; the sidecar puts it back after a forming cluster's shorter one).
  const tlsFiles = { caFile: `${SIDECAR_TLS_DIR}/${MEMBER_TLS_KEYS.ca}`, certFile: `${SIDECAR_TLS_DIR}/${MEMBER_TLS_KEYS.cert}`, keyFile: `${SIDECAR_TLS_DIR}/${MEMBER_TLS_KEYS.key}` };
  const common: SharedEnvInput = {
    dataDir: "/data", enginePort: ENGINE_PORT, passwordFile: `${PASSWORD_DIR}/password`, nodeTimeoutMs: spec.engine.nodeTimeoutMs,
    ...(spec.tls.enabled ? { engineTls: tlsFiles } : {}),
  };
  const tlsMount = { name: "sidecar-tls", mountPath: SIDECAR_TLS_DIR, readOnly: true };
  const mounts = [
    { name: "data", mountPath: "/data" },
    { name: "tmp", mountPath: "/tmp" },
    { name: "auth", mountPath: PASSWORD_DIR, readOnly: true },
  ];
  // Renders the engine's config from the spec into the shared volume before the engine starts.
  const renderConfig: V1Container = {
    name: "engine-config",
    image: spec.sidecarImage,
    command: ["mdb-sidecar", "render-config", "--out", ENGINE_CONFIG_FILE],
    env: engineContainerEnv({
      ...common, announceHostname: announce, maxMemory: spec.engine.maxMemory, maxMemoryPolicy: spec.engine.maxMemoryPolicy,
      appendOnly: spec.engine.appendOnly, replicas: spec.replicasPerShard, durability: spec.durability,
    }),
    resources: { requests: { ...spec.sidecar.resources.requests }, limits: { ...spec.sidecar.resources.limits } },
    volumeMounts: [{ name: "engine-config", mountPath: ENGINE_CONFIG_DIR }, { name: "auth", mountPath: PASSWORD_DIR, readOnly: true }],
    securityContext,
  };
  // Any image with sh and valkey-server or redis-server (docs/engines.md#engine-images): nothing of ours runs in it.
  const engine: V1Container = {
    name: "engine",
    image: spec.engine.image,
    command: engineLaunchCommand(),
    env: [{ name: MemberEnv.POD_IP, valueFrom: { fieldRef: { fieldPath: POD_IP_FIELD } } }],
    ports: [{ name: "engine", containerPort: ENGINE_PORT }, { name: "bus", containerPort: BUS_PORT }],
    resources: {
      requests: { ...spec.resources.requests },
      ...(spec.resources.limits.cpu || spec.resources.limits.memory ? { limits: { ...spec.resources.limits } } : {}),
    },
    // Liveness starts only once the engine has answered (a loaded node may need many seconds).
    startupProbe: { tcpSocket: { port: ENGINE_PORT }, periodSeconds: 1, failureThreshold: 120 },
    // An engine that exits at start (a config its build refuses, e.g. TLS without TLS support) leaves its
    // last log lines in the container's status, where the operator's Degraded message shows them.
    terminationMessagePolicy: "FallbackToLogsOnError",
    livenessProbe: { tcpSocket: { port: ENGINE_PORT }, periodSeconds: 10, failureThreshold: 3 },
    volumeMounts: [
      { name: "data", mountPath: "/data" }, { name: "tmp", mountPath: "/tmp" }, { name: "engine-config", mountPath: ENGINE_CONFIG_DIR, readOnly: true },
      ...(spec.tls.enabled ? [tlsMount] : []),
    ],
    securityContext,
  };
  const sidecar: V1Container = {
    name: "sidecar",
    image: spec.sidecarImage,
    command: ["mdb-sidecar"],
    env: sidecarContainerEnv({
      ...common, tokenFile: `${TOKEN_DIR}/token`,
      tls: tlsFiles,
      sidecarPort: SIDECAR_PORT, healthPort: HEALTH_PORT, metricsPort: METRICS_PORT,
      logLevel: spec.logLevel, identity: { namespace, cluster: name, member, shard },
      nodeOptions: nodeOptions(memoryBytes(spec.sidecar.resources.limits.memory)),
    }),
    // `metrics` is the name a PodMonitor selects (docs/operations.md#member-metrics).
    ports: [{ name: "grpc", containerPort: SIDECAR_PORT }, { name: "health", containerPort: HEALTH_PORT }, { name: METRICS_PORT_NAME, containerPort: METRICS_PORT }],
    resources: { requests: { ...spec.sidecar.resources.requests }, limits: { ...spec.sidecar.resources.limits } },
    readinessProbe: { httpGet: { path: "/readyz", port: HEALTH_PORT }, periodSeconds: 1, failureThreshold: 2 },
    livenessProbe: { httpGet: { path: "/livez", port: HEALTH_PORT }, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 },
    volumeMounts: [...mounts, { name: "sidecar-token", mountPath: TOKEN_DIR, readOnly: true }, tlsMount],
    securityContext,
  };
  const volumes: V1Volume[] = [
    spec.persistence.enabled ? { name: "data", persistentVolumeClaim: { claimName: pvcName(member) } } : { name: "data", emptyDir: {} },
    { name: "tmp", emptyDir: {} },
    { name: "engine-config", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    { name: "auth", secret: { secretName: authSecretName(cluster), items: [{ key: "password", path: "password" }] } },
    { name: "sidecar-token", secret: { secretName: sidecarSecretName(name), items: [{ key: "token", path: "token" }] } },
    // Mounted as a directory (no subPath), so the kubelet updates its files when the Secret is renewed,
    // all of them at once.
    { name: "sidecar-tls", secret: { secretName: memberTlsSecretName(member) } },
  ];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: member,
      namespace,
      labels: memberLabels(name, shard, member),
      annotations: { "mdbcluster.io/node": input.node },
      ownerReferences: [ownerReference(cluster)],
    },
    spec: {
      hostname: member,
      subdomain: headlessServiceName(name),
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: spec.placement.topologyKeys.host, operator: "In", values: [input.hostLabelValue] }] }],
          },
        },
      },
      tolerations: spec.placement.tolerations,
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: "RuntimeDefault" } },
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 30,
      initContainers: [renderConfig],
      containers: [engine, sidecar],
      volumes,
    },
  };
}

export function buildMemberPvc(cluster: MdbCluster, spec: ResolvedSpec, member: string, shard: number): V1PersistentVolumeClaim {
  const name = cluster.metadata!.name!;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: pvcName(member), namespace: cluster.metadata!.namespace!, labels: memberLabels(name, shard, member), ownerReferences: [ownerReference(cluster)] },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: spec.persistence.size } },
      ...(spec.persistence.storageClassName ? { storageClassName: spec.persistence.storageClassName } : {}),
    },
  };
}
