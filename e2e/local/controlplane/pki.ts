// The proving ground's PKI, made with openssl: one CA, the API server's serving certificate, client
// certificates for the admin and the control-plane components, and the ServiceAccount signing keys.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  saKey: string;
  saPub: string;
  clients: Record<ClientName, { cert: string; key: string }>;
}

export type ClientName = "admin" | "controller-manager" | "scheduler";

const CLIENT_SUBJECTS: Record<ClientName, string> = {
  // system:masters is bound to cluster-admin by the default RBAC policy.
  admin: "/O=system:masters/CN=mdb-admin",
  "controller-manager": "/CN=system:kube-controller-manager",
  scheduler: "/CN=system:kube-scheduler",
};

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

function newKey(dir: string, name: string): string {
  const key = join(dir, `${name}.key`);
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-out", key], dir);
  return key;
}

function signedCert(pki: { dir: string; caCert: string; caKey: string }, name: string, subject: string, extensions: string): { cert: string; key: string } {
  const key = newKey(pki.dir, name);
  const csr = join(pki.dir, `${name}.csr`);
  const ext = join(pki.dir, `${name}.ext`);
  const cert = join(pki.dir, `${name}.crt`);
  writeFileSync(ext, extensions);
  openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr], pki.dir);
  openssl(["x509", "-req", "-in", csr, "-CA", pki.caCert, "-CAkey", pki.caKey, "-set_serial", `0x${randomBytes(8).toString("hex")}`,
    "-days", "365", "-sha256", "-extfile", ext, "-out", cert], pki.dir);
  return { cert, key };
}

/** Creates the PKI in `dir` (or reuses a complete one already there). */
export function ensurePki(dir: string, apiserverAddresses: { ips: string[]; dnsNames: string[] }): Pki {
  mkdirSync(dir, { recursive: true });
  const paths = pkiPaths(dir);
  const all = [paths.caCert, paths.caKey, paths.apiserverCert, paths.apiserverKey, paths.saKey, paths.saPub,
    ...Object.values(paths.clients).flatMap((c) => [c.cert, c.key])];
  if (all.every((p) => existsSync(p))) return paths;

  newKey(dir, "ca");
  openssl(["req", "-x509", "-new", "-key", paths.caKey, "-subj", "/CN=mdbcluster-proving-ground-ca", "-days", "3650", "-sha256",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", paths.caCert], dir);
  const san = [...apiserverAddresses.ips.map((ip) => `IP:${ip}`), ...apiserverAddresses.dnsNames.map((d) => `DNS:${d}`)].join(",");
  signedCert(paths, "apiserver", "/CN=kube-apiserver",
    `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
  for (const [name, subject] of Object.entries(CLIENT_SUBJECTS)) {
    signedCert(paths, name, subject, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
  }
  openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", paths.saKey], dir);
  openssl(["pkey", "-in", paths.saKey, "-pubout", "-out", paths.saPub], dir);
  return paths;
}

export function pkiPaths(dir: string): Pki {
  const pair = (name: string) => ({ cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) });
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    apiserverCert: join(dir, "apiserver.crt"),
    apiserverKey: join(dir, "apiserver.key"),
    saKey: join(dir, "sa.key"),
    saPub: join(dir, "sa.pub"),
    clients: { admin: pair("admin"), "controller-manager": pair("controller-manager"), scheduler: pair("scheduler") },
  };
}

/** A kubeconfig with the certificates embedded, so it can be copied anywhere. */
export function kubeconfigYaml(server: string, pki: Pki, client: ClientName, user = client): string {
  const b64 = (p: string) => readFileSync(p).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: mdb-local",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    "users:",
    `- name: ${user}`,
    "  user:",
    `    client-certificate-data: ${b64(pki.clients[client].cert)}`,
    `    client-key-data: ${b64(pki.clients[client].key)}`,
    "contexts:",
    "- name: mdb-local",
    "  context:",
    "    cluster: mdb-local",
    `    user: ${user}`,
    "current-context: mdb-local",
    "",
  ].join("\n");
}

/** A client certificate for another identity (a kubelet's `system:node:<name>`, kube-proxy), made once. */
export function ensureClientCert(pki: Pki, name: string, subject: string): { cert: string; key: string } {
  const cert = join(pki.dir, `${name}.crt`);
  const key = join(pki.dir, `${name}.key`);
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  return signedCert(pki, name, subject, "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
}

/** A kubeconfig for any client certificate pair, with the certificates embedded. */
export function certKubeconfigYaml(server: string, caCert: string, pair: { cert: string; key: string }, user: string): string {
  const b64 = (p: string) => readFileSync(p).toString("base64");
  return [
    "apiVersion: v1", "kind: Config",
    "clusters:", "- name: mdb-local", "  cluster:", `    server: ${server}`, `    certificate-authority-data: ${b64(caCert)}`,
    "users:", `- name: ${user}`, "  user:", `    client-certificate-data: ${b64(pair.cert)}`, `    client-key-data: ${b64(pair.key)}`,
    "contexts:", "- name: mdb-local", "  context:", "    cluster: mdb-local", `    user: ${user}`,
    "current-context: mdb-local", "",
  ].join("\n");
}
