// Performs one probe check against a container: exec inside the container's namespaces (nsenter),
// httpGet/tcpSocket/grpc from the host to the pod IP (which is how the kubelet reaches a pod).
import { execFile } from "node:child_process";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import { credentials, makeGenericClientConstructor, type ServiceError } from "@grpc/grpc-js";
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import { probeHandler, resolveProbePort, type HookKind, type ProbeKind } from "./probes.ts";

export interface ProbeTarget {
  podIP: string;
  pid: number;
  container: V1Container;
  env: Record<string, string>;
  /** Translates an exec probe's in-image argv to local programs. */
  translateArgv(argv: string[]): string[];
}

export interface ProbeOutcome { ok: boolean; message: string }

export async function runProbe(probe: V1Probe, kind: ProbeKind | HookKind, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  const handler = probeHandler(probe, kind);
  const ports = target.container.ports ?? [];
  try {
    switch (handler) {
      case "exec": return await execProbe(target.translateArgv(probe.exec!.command ?? []), target, timeoutMs);
      case "httpGet": {
        const h = probe.httpGet!;
        if (h.host && h.host !== target.podIP) return { ok: false, message: `httpGet.host "${h.host}" is not the pod IP; the proving ground only probes pods` };
        return await httpProbe(h.scheme === "HTTPS", target.podIP, resolveProbePort(h.port, ports, kind), h.path ?? "/",
          Object.fromEntries((h.httpHeaders ?? []).map((x) => [x.name, x.value])), timeoutMs);
      }
      case "tcpSocket": {
        const t = probe.tcpSocket!;
        if (t.host && t.host !== target.podIP) return { ok: false, message: `tcpSocket.host "${t.host}" is not the pod IP` };
        return await tcpProbe(target.podIP, resolveProbePort(t.port, ports, kind), timeoutMs);
      }
      case "grpc": return await grpcProbe(target.podIP, probe.grpc!.port, probe.grpc!.service ?? "", timeoutMs);
    }
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

function execProbe(argv: string[], target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (argv.length === 0) return Promise.resolve({ ok: false, message: "exec.command is empty" });
  return new Promise((resolve) => {
    execFile("nsenter", [`--target=${target.pid}`, "--mount", "--net", "--", ...argv],
      { env: target.env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, message: stdout.trim() });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        const why = e.killed ? `timed out after ${timeoutMs} ms` : `exit code ${String(e.code)}`;
        resolve({ ok: false, message: `command ${JSON.stringify(argv)} ${why}: ${(stderr || stdout).trim().slice(0, 500)}` });
      });
  });
}

function httpProbe(https: boolean, host: string, port: number, path: string, headers: Record<string, string>, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)({ host, port, path, method: "GET", timeout: timeoutMs,
      headers: { "user-agent": "kube-probe/1.36", ...headers }, rejectUnauthorized: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve({ ok: code >= 200 && code < 400, message: `HTTP probe got status ${code}` });
    });
    req.on("timeout", () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ ok: false, message: `Get "${https ? "https" : "http"}://${host}:${port}${path}": ${e.message}` }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.on("connect", () => { socket.destroy(); resolve({ ok: true, message: "connected" }); });
    socket.on("timeout", () => { socket.destroy(); resolve({ ok: false, message: `dial tcp ${host}:${port}: timed out after ${timeoutMs} ms` }); });
    socket.on("error", (e) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
  });
}

// grpc.health.v1.Health/Check, encoded by hand: request field 1 (service, string), response field 1 (status enum).
const HealthClient = makeGenericClientConstructor({
  Check: {
    path: "/grpc.health.v1.Health/Check", requestStream: false, responseStream: false,
    requestSerialize: (service: string) => encodeHealthRequest(service),
    requestDeserialize: (b: Buffer) => b.toString(),
    responseSerialize: (s: number) => Buffer.from([0x08, s]),
    responseDeserialize: (b: Buffer) => decodeHealthStatus(b),
  },
}, "grpc.health.v1.Health");

export function encodeHealthRequest(service: string): Buffer {
  const bytes = Buffer.from(service, "utf8");
  if (bytes.length === 0) return Buffer.alloc(0);
  if (bytes.length > 127) throw new Error("grpc.service longer than 127 bytes is not supported");
  return Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
}

/** Reads HealthCheckResponse.status (0 UNKNOWN, 1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN). */
export function decodeHealthStatus(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const tag = b[i++];
    let value = 0, shift = 0;
    if ((tag & 7) === 0) {
      for (;;) { const byte = b[i++]; value |= (byte & 0x7f) << shift; shift += 7; if (!(byte & 0x80)) break; }
      if (tag >> 3 === 1) return value;
    } else if ((tag & 7) === 2) {
      const len = b[i++];
      i += len;
    } else return 0;
  }
  return 0;
}

function grpcProbe(host: string, port: number, service: string, timeoutMs: number): Promise<ProbeOutcome> {
  const client = new HealthClient(`${host}:${port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    const deadline = new Date(Date.now() + timeoutMs);
    (client as unknown as { Check: (req: string, opts: { deadline: Date }, cb: (err: ServiceError | null, status?: number) => void) => void })
      .Check(service, { deadline }, (err, status) => {
        client.close();
        if (err) return resolve({ ok: false, message: `gRPC health check: ${err.message}` });
        resolve({ ok: status === 1, message: `gRPC health status ${status}` });
      });
  });
}
