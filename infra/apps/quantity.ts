/** Kubernetes resource quantities as numbers, for arithmetic (quota sums, heap sizing). */

/** "250m" | "2" -> millicores. */
export function millicores(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q);
  if (!m) throw new Error(`not a CPU quantity: ${q}`);
  return m[2] === "m" ? Number(m[1]) : Number(m[1]) * 1000;
}

const MEMORY_UNITS: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 };

/** "512Mi" | "4Gi" -> MiB. */
export function mebibytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(q);
  if (!m) throw new Error(`not a memory quantity (use Ki/Mi/Gi/Ti): ${q}`);
  return Number(m[1]) * MEMORY_UNITS[m[2]!]!;
}

export const formatCpu = (mc: number): string => `${Math.ceil(mc)}m`;
export const formatMemory = (mib: number): string =>
  mib % 1024 === 0 ? `${mib / 1024}Gi` : `${Math.ceil(mib)}Mi`;
