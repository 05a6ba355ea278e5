// One rule for an engine's host, shared by every validator of an address (sidecar API, migration).
const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const dnsName = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Why `host` is not an IPv4 address or DNS name, or undefined when it is one. */
export function hostProblem(host: string): string | undefined {
  if (host === "") return "is required (an IPv4 address or DNS name)";
  // A name of digits and dots only is a malformed IP, not a name.
  if (ipv4.test(host) || (dnsName.test(host) && /[a-z]/i.test(host))) return undefined;
  return `"${host}" is not an IPv4 address or DNS name`;
}

/** Why `port` is not a TCP port, or undefined. */
export function portProblem(port: unknown): string | undefined {
  return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : `${String(port)} is not a port in 1..65535`;
}
