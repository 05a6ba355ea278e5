// Pod IP allocation from the pod range. Round-robin after the last address handed out (as the
// host-local CNI plugin does), so a deleted pod's address is not reused at once while EndpointSlices
// or peers may still point at it. Addresses ending in .0 or .255 are skipped.

export interface PodRange { first: string; last: string }

/**
 * Parses cluster.json's podRange: "A..B" or "A-B"; a first address given as a network
 * ("10.244.1.0" or "10.244.1.0/24") starts at its .2, leaving .1 as a conventional gateway.
 */
export function parsePodRange(text: string): PodRange {
  const [from, to, extra] = text.includes("..") ? text.split("..") : text.split("-");
  if (!from || !to || extra !== undefined) throw new Error(`network.podRange "${text}": expected "<first address>..<last address>" or "<first>-<last>"`);
  const base = from.split("/")[0];
  const first = from.includes("/") || base.endsWith(".0") ? intToIp(ipToInt(base) + 2) : base;
  ipToInt(first);
  ipToInt(to);
  if (ipToInt(first) > ipToInt(to)) throw new Error(`network.podRange "${text}": the first address is after the last`);
  return { first, last: to };
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^[0-9]{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`"${ip}" is not an IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export class IpAllocator {
  private readonly used = new Set<number>();
  private cursor: number;
  private readonly first: number;
  private readonly last: number;

  constructor(range: PodRange) {
    this.first = ipToInt(range.first);
    this.last = ipToInt(range.last);
    this.cursor = this.first - 1;
  }

  /** Marks an address as taken (e.g. one recorded before a restart). */
  reserve(ip: string): void {
    this.used.add(ipToInt(ip));
  }

  /** Hands out `preferred` when it is free and in range (a pod keeps its IP across runner restarts). */
  allocate(preferred?: string): string {
    if (preferred) {
      const n = ipToInt(preferred);
      if (n >= this.first && n <= this.last && !this.used.has(n)) {
        this.used.add(n);
        return preferred;
      }
    }
    const size = this.last - this.first + 1;
    for (let step = 1; step <= size; step++) {
      const candidate = this.first + ((this.cursor - this.first + step) % size + size) % size;
      const lastOctet = candidate % 256;
      if (lastOctet === 0 || lastOctet === 255 || this.used.has(candidate)) continue;
      this.used.add(candidate);
      this.cursor = candidate;
      return intToIp(candidate);
    }
    throw new Error(`pod range ${intToIp(this.first)}..${intToIp(this.last)} is exhausted (${this.used.size} addresses in use); delete pods or widen network.podRange`);
  }

  release(ip: string): void {
    this.used.delete(ipToInt(ip));
  }

  get inUse(): number {
    return this.used.size;
  }
}
