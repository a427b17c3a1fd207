/**
 * IPv4 subnet arithmetic for carving the stack's `vpcCidr` into subnets, so every cloud derives its
 * ranges the same way from one configured block (no hand-maintained per-cloud address plans).
 */

function toInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * The `netnum`-th subnet of `base` that is `newBits` longer (Terraform's cidrsubnet).
 * cidrSubnet("10.40.0.0/16", 3, 1) === "10.40.32.0/19".
 */
export function cidrSubnet(base: string, newBits: number, netnum: number): string {
  const [ip, prefixText] = base.split("/");
  const prefix = Number(prefixText);
  const length = prefix + newBits;
  if (length > 32) throw new Error(`cidrSubnet: /${prefix} + ${newBits} bits exceeds /32`);
  if (netnum < 0 || netnum >= 2 ** newBits) {
    throw new Error(`cidrSubnet: ${base} has no subnet #${netnum} of /${length}`);
  }
  const size = 2 ** (32 - prefix);
  const start = toInt(ip!) - (toInt(ip!) % size);
  return `${toIp(start + netnum * 2 ** (32 - length))}/${length}`;
}

/** The n-th host address inside a CIDR (n = 1 is the first usable address on most clouds). */
export function hostAddress(cidr: string, n: number): string {
  const [ip] = cidr.split("/");
  return toIp(toInt(ip!) + n);
}

function range(cidr: string): [number, number] {
  const [ip, prefix] = cidr.split("/");
  const size = 2 ** (32 - Number(prefix));
  const start = toInt(ip!) - (toInt(ip!) % size);
  return [start, start + size - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [aStart, aEnd] = range(a);
  const [bStart, bEnd] = range(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/** Each pair of the named ranges that overlap, as a problem ending with `fix`. */
export function overlapProblems(ranges: Record<string, string>, fix: string): string[] {
  const out: string[] = [];
  const entries = Object.entries(ranges);
  for (const [i, [aName, a]] of entries.entries())
    for (const [bName, b] of entries.slice(i + 1))
      if (cidrsOverlap(a, b)) out.push(`${aName} ${a} overlaps ${bName} ${b}: ${fix}`);
  return out;
}

/** The prefix length of a CIDR (/16 -> 16). */
export const prefixLength = (cidr: string) => Number(cidr.split("/")[1]);

/**
 * Throws, naming both, when two of the ranges overlap: the provider would refuse the cluster (or,
 * worse, accept it and misroute) only once `pulumi up` reaches it.
 */
export function assertDisjoint(ranges: Record<string, string>): void {
  const [first] = overlapProblems(ranges, "choose another vpcCidr");
  if (first) throw new Error(first);
}
