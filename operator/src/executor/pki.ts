// Issuing the sidecar API's certificates with @peculiar/x509 over Node's WebCrypto: ECDSA P-256 keys,
// SHA-256 signatures (docs/architecture/sidecar.md#mtls). The time is an input; the keys and serial
// numbers come from the CSPRNG.
import "reflect-metadata"; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from "@peculiar/x509";
import { webcrypto } from "node:crypto";
import type { KeyPairPem } from "../resources/tls-secrets.ts";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** Tolerance for clocks that run behind the operator's: a certificate is valid from a minute before it was made. */
const BACKDATE_MS = 60_000;

/** The CA that signs, as its PEM texts. */
export interface IssuingCa { certPem: string; keyPem: string }

export interface LeafRequest {
  commonName: string;
  /** subjectAltName DNS names (a server's). */
  dnsNames?: readonly string[];
  /**
   * serverAuth for a sidecar, clientAuth for the operator: a certificate serves only the role it was made
   * for. Both for a member whose engine serves TLS: its cluster bus links present it as a client.
   */
  usage: "server" | "client" | "server-and-client";
  nowMs: number;
  validityMs: number;
}

const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "7");

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function importKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decode(pem)[0], ALGORITHM, false, ["sign"]);
}

/** A self-signed CA that may sign leaves only (path length 0). */
export async function createCa(commonName: string, nowMs: number, validityMs: number): Promise<KeyPairPem> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: [{ CN: [commonName] }], keys, signingAlgorithm: ALGORITHM,
    notBefore: new Date(nowMs - BACKDATE_MS), notAfter: new Date(nowMs + validityMs),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

/** A leaf signed by `ca`: digitalSignature, the extended usages the request names, its DNS names. */
export async function issueLeaf(ca: IssuingCa, req: LeafRequest): Promise<KeyPairPem> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const keys = await newKeys();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([
      ...(req.usage !== "client" ? [x509.ExtendedKeyUsage.serverAuth] : []), ...(req.usage !== "server" ? [x509.ExtendedKeyUsage.clientAuth] : []),
    ], false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (req.dnsNames && req.dnsNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(req.dnsNames.map((value) => ({ type: "dns" as const, value })), false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject: [{ CN: [req.commonName] }], issuer: caCert.subject, publicKey: keys.publicKey, signingKey: await importKey(ca.keyPem),
    signingAlgorithm: ALGORITHM, notBefore: new Date(req.nowMs - BACKDATE_MS), notAfter: new Date(req.nowMs + req.validityMs), extensions,
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}
