/** Helpers for rules over helm.v3.Release inputs {name, chart, version, namespace, repositoryOpts, values}. */
export const RELEASE = "kubernetes:helm.sh/v3:Release";

export function chartName(props: Record<string, any>): string {
  const c = String(props.chart ?? "");
  return c.split("/").pop() ?? c;
}

export function get(obj: any, path: string): any {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

/** Prometheus-style duration ("30d", "720h", "1y", "2w", "744h") in hours; undefined if unparsable. */
export function durationHours(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const re = /(\d+)(y|w|d|h|m|s|ms)/g;
  const unit: Record<string, number> = {
    y: 8760,
    w: 168,
    d: 24,
    h: 1,
    m: 1 / 60,
    s: 1 / 3600,
    ms: 1 / 3.6e6,
  };
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === v.length && consumed > 0 ? total : undefined;
}

/** Compare dotted versions ("3.23.0" vs "3.17.0"); pre-release suffixes sort before the release. */
export function versionAtLeast(v: string, min: string): boolean {
  const parse = (s: string) =>
    s
      .replace(/^v/, "")
      .split(/[-+]/)[0]!
      .split(".")
      .map((x) => Number(x) || 0);
  const a = parse(v);
  const b = parse(min);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return !/-/.test(v.replace(/^v/, "").split("+")[0]!);
}
