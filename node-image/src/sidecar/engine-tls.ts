// The engine's TLS files with spec.tls.enabled (docs/usage.md#tls): the engine serves clients, replication
// and its bus with the member's certificate, the same files as the sidecar's API. The operator renews
// the certificate in the member's Secret and the kubelet updates the files; the engine reads its TLS
// files only at start and on CONFIG SET of one of them, so when the sidecar sees a new, usable set it
// sets them again and the engine takes them for new connections, without a restart.
import type { TlsFiles } from "../../../common/member-env.ts";
import type { EngineDriver } from "./engine.ts";
import type { Logger } from "./log.ts";
import type { ReloadingTlsFiles, TlsMaterial } from "./tls-files.ts";

/** The CONFIG SET that makes the engine read its TLS files again. */
export function engineTlsReload(files: { caFile: string; certFile: string; keyFile: string }): string[] {
  return ["CONFIG", "SET", "tls-cert-file", files.certFile, "tls-key-file", files.keyFile, "tls-ca-cert-file", files.caFile];
}

/**
 * Has the engine take the member's TLS files each time they change; `taken` hears of each set the
 * engine took. Returns the function that stops watching.
 */
export function watchEngineTls(engine: Pick<EngineDriver, "call">, files: ReloadingTlsFiles, paths: TlsFiles, taken: (m: TlsMaterial) => void, log: Logger): () => void {
  return files.onRenewed((set) => {
    engine.call(...engineTlsReload(paths)).then(
      () => { taken(set); log.info("the engine took the renewed TLS files"); },
      (err: Error) => log.warn("the engine did not take the renewed TLS files; it serves the old ones until it takes them or restarts", { error: err.message }),
    );
  });
}
