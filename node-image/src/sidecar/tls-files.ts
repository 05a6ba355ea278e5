// The sidecar's TLS files, read again while it serves (docs/architecture/sidecar.md#mtls): the
// operator renews the member's certificate in its Secret, the kubelet updates the mounted files, and
// every MDB_TLS_RELOAD_MS this reader reads them; a new, consistent set is handed to the gRPC server,
// whose new connections use it at once (open ones keep theirs), and to the engine (engine-tls.ts). No restart. A set that cannot be used
// (a file missing or half-written, a key that is not the certificate's) is logged and skipped: the
// last good set stays in use and the next read tries again.
import { readFileSync } from "node:fs";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { MemberEnv, SettingsError, type TlsFiles } from "../../../common/member-env.ts";
import { tlsFilesDigest } from "../../../common/tls-digest.ts";
import type { EngineTls } from "../migration/request.ts";
import type { Logger } from "./log.ts";

export interface TlsMaterial { caPem: Buffer; certPem: Buffer; keyPem: Buffer }

/** What makes a set of files unusable, naming the variable of the file at fault; undefined when usable. */
export function tlsMaterialProblem(m: TlsMaterial): { variable: string; message: string } | undefined {
  try {
    new X509Certificate(m.caPem);
  } catch (err) {
    return { variable: MemberEnv.TLS_CA_FILE, message: `is not a PEM certificate (${(err as Error).message})` };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(m.certPem);
  } catch (err) {
    return { variable: MemberEnv.TLS_CERT_FILE, message: `is not a PEM certificate (${(err as Error).message})` };
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(m.keyPem))) return { variable: MemberEnv.TLS_KEY_FILE, message: `is not the key of the certificate in ${MemberEnv.TLS_CERT_FILE}` };
  } catch (err) {
    return { variable: MemberEnv.TLS_KEY_FILE, message: `is not a PEM private key (${(err as Error).message})` };
  }
  return undefined;
}

/** Checks the files read at start-up: a bad set stops the sidecar, naming the variable. */
export function checkTlsMaterial(m: TlsMaterial): void {
  const problem = tlsMaterialProblem(m);
  if (problem) throw new SettingsError(problem.variable, problem.message);
}

const same = (a: TlsMaterial, b: TlsMaterial) => a.caPem.equals(b.caPem) && a.certPem.equals(b.certPem) && a.keyPem.equals(b.keyPem);

/** The three files: the CA that client certificates must come from, and the member's own pair. */
export class ReloadingTlsFiles {
  private readonly listeners = new Set<(m: TlsMaterial) => void>();
  private timer: NodeJS.Timeout | undefined;
  private lastProblem = "";

  constructor(
    private readonly files: TlsFiles,
    private current: TlsMaterial,
    private readonly reloadMs: number,
    private readonly log: Logger,
    private readonly readFile: (path: string) => Buffer = (p) => readFileSync(p),
  ) {}

/** The set in use. */
  material(): TlsMaterial {
    return this.current;
  }

  /** Reads the files once; true when a new set was taken. */
  reload(): boolean {
    let next: TlsMaterial;
    try {
      next = { caPem: this.readFile(this.files.caFile), certPem: this.readFile(this.files.certFile), keyPem: this.readFile(this.files.keyFile) };
    } catch (err) {
      this.skip(`cannot read the TLS files (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return false;
    }
    if (same(next, this.current)) return false;
    const problem = tlsMaterialProblem(next);
    if (problem) {
      this.skip(`${problem.variable} ${problem.message}`);
      return false;
    }
    this.current = next;
    this.lastProblem = "";
    this.log.info("TLS files renewed: new connections use them", { validTo: new X509Certificate(next.certPem).validTo });
    for (const l of this.listeners) l(next);
    return true;
  }

  private skip(problem: string): void {
    if (problem !== this.lastProblem) this.log.warn("TLS files not taken; the last good ones stay in use", { problem });
    this.lastProblem = problem;
  }

  /** Calls `listener` with each new set taken; the files are read while anyone listens. Returns the function that stops listening. */
  onRenewed(listener: (m: TlsMaterial) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      this.timer = setInterval(() => this.reload(), this.reloadMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) { clearInterval(this.timer); this.timer = undefined; }
    };
  }
}

/** The digest of a set, as status reports it and the operator computes it from the member's Secret. */
export function materialDigest(m: TlsMaterial): string {
  return tlsFilesDigest(m.caPem, m.certPem);
}

/**
 * The engine's TLS as its clients in the sidecar see it (its own connection, a migration's): the CA
 * bundle of the files in use, read each time a connection is made, so a CA rollover reaches them.
 */
export function liveEngineTls(files: Pick<ReloadingTlsFiles, "material">): EngineTls {
  return { get ca() { return files.material().caPem.toString("utf8"); } };
}
