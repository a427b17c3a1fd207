/**
 * The detector configuration: one file (YAML or JSON), validated once, every field defaulted. Global
 * sections (baseline, detectors, ensemble, alerting) apply to every metric; a metric may override any
 * of them. The defaults suit heavy-tailed latency: observations are short event-time buckets scored on a
 * log scale, against median/MAD baselines, so a few slow calls never look like an outage.
 */
import { ConfigError } from "@llmops/shared";
import { readConfigFile } from "@llmops/shared/config-file";
import { z } from "zod";

export const METRICS = ["latency", "ttft", "error_rate", "tokens", "cost"] as const;
export type MetricName = (typeof METRICS)[number];
export const DETECTORS = ["zscore", "mad", "iqr", "cusum", "ewma"] as const;
export type DetectorName = (typeof DETECTORS)[number];

const positive = z.number().positive();
const seconds = z.number().positive();

const baseline = z
  .object({
    /** Observations kept per series (a ring): the seed's 1000. */
    window: z.number().int().min(10).max(100_000).default(1000),
    /** A series does not alert before its baseline holds this many observations. */
    minSamples: z.number().int().min(3).default(10),
    /** Baseline statistics are recomputed at most this often, in event time. */
    refreshSeconds: seconds.default(60),
    /** After a series first appears (or a cold start), it does not alert for this long (event time). */
    warmupSeconds: z.number().nonnegative().default(300),
    /** A series that has fired for this long learns the new level into its baseline (a permanent shift). */
    relearnSeconds: seconds.default(3600),
  })
  .strict();

const detectors = z
  .object({
    /** Classic z-score against the window's mean and standard deviation. */
    zscore: z
      .object({ threshold: positive.default(3.0) })
      .strict()
      .prefault({}),
    /** Modified z-score, 0.6745 (x - median) / MAD (Iglewicz and Hoaglin). */
    mad: z
      .object({ threshold: positive.default(3.5) })
      .strict()
      .prefault({}),
    /** Distance beyond the upper quartile in IQRs (Tukey's fence at k). */
    iqr: z
      .object({ k: positive.default(1.5) })
      .strict()
      .prefault({}),
    /**
     * One-sided CUSUM of robust standard scores: slack k, decision interval h. The textbook 0.5/5 gives a
     * false alarm every ~500 observations, i.e. many a day per series at one observation per 10 s; 1/6
     * waits for ~10^5 and still catches a 2-sigma shift within a handful of observations.
     */
    cusum: z
      .object({ k: positive.default(1), h: positive.default(6) })
      .strict()
      .prefault({}),
    /** EWMA chart: smoothing lambda, control limit L (in the EWMA's own standard deviations). */
    ewma: z
      .object({ lambda: z.number().gt(0).max(1).default(0.2), L: positive.default(4.5) })
      .strict()
      .prefault({}),
  })
  .strict();

const ensemble = z
  .object({
    /** Detectors scoring every observation of the metric. */
    detectors: z.array(z.enum(DETECTORS)).min(1).default(["mad", "cusum"]),
    /** How many of them must agree for an observation to be anomalous. */
    minVotes: z.number().int().min(1).default(1),
  })
  .strict();

const alerting = z
  .object({
    /** Consecutive anomalous observations before a series fires (3: one odd bucket, even two, is not an incident). */
    fireAfter: z.number().int().min(1).default(3),
    /** Consecutive normal observations before a firing series resolves... */
    resolveAfter: z.number().int().min(1).default(3),
    /** ...and for at least this long (event time): the hysteresis that keeps a flapping metric in one alert. */
    clearSeconds: z.number().nonnegative().default(300),
    /** A firing series counts an observation as normal only below this fraction of the thresholds. */
    resolveRatio: z.number().gt(0).max(1).default(0.7),
    /** Score at or above this many times the threshold is critical; above the threshold, warning. */
    criticalRatio: z.number().min(1).default(2),
  })
  .strict();

const metric = z
  .object({
    enabled: z.boolean().default(true),
    /** Observations are event-time buckets of this length... */
    bucketSeconds: seconds.default(10),
    /** ...holding at least this many calls (a quiet bucket extends until it does)... */
    minRequests: z.number().int().min(1).default(5),
    /** ...unless it has spanned this long: then it is dropped, too little traffic to judge. */
    maxSpanSeconds: seconds.default(300),
    /** How a bucket's calls become one value: geomean (mean of logs, robust to a few slow calls), rate (failed fraction). */
    aggregate: z.enum(["geomean", "mean", "median", "p90", "rate"]).default("geomean"),
    /** Scale the detectors work on: log for positive heavy-tailed values. */
    transform: z.enum(["log", "identity"]).default("log"),
    /** Which side is bad: up (slower, more errors, more tokens) is the default. */
    direction: z.enum(["up", "down"]).default("up"),
    /** Floor on the baseline's spread (transformed units, for an observation of minRequests calls): a flat baseline does not make noise infinite. */
    minScale: z.number().nonnegative().default(0.05),
    /** An observation must also differ from the baseline's centre by this much (transformed units). */
    minDelta: z.number().nonnegative().default(0),
    /** Also keep a series per tenant (besides the provider/model one). */
    perTenant: z.boolean().default(false),
    /** Highest severity this metric may raise (cost and token anomalies are not outages). */
    maxSeverity: z.enum(["info", "warning", "critical"]).default("critical"),
    baseline: baseline.partial().optional(),
    detectors: z
      .object({
        zscore: detectors.shape.zscore.unwrap().partial().optional(),
        mad: detectors.shape.mad.unwrap().partial().optional(),
        iqr: detectors.shape.iqr.unwrap().partial().optional(),
        cusum: detectors.shape.cusum.unwrap().partial().optional(),
        ewma: detectors.shape.ewma.unwrap().partial().optional(),
      })
      .strict()
      .optional(),
    ensemble: ensemble.partial().optional(),
    alerting: alerting.partial().optional(),
  })
  .strict();

/** Per-metric defaults: what differs from the generic metric above. */
const METRIC_DEFAULTS: Record<MetricName, Record<string, unknown>> = {
  latency: {},
  ttft: {},
  // Errors: a rate over at least 20 calls and 30 s, which must rise by 5 points, never on 3 of 3 at night.
  error_rate: {
    aggregate: "rate",
    transform: "identity",
    bucketSeconds: 30,
    minRequests: 20,
    minScale: 0.02,
    minDelta: 0.05,
  },
  // Token counts per call spread over two orders of magnitude: judge 10 calls over 30 s at least.
  tokens: { perTenant: true, maxSeverity: "warning", bucketSeconds: 30, minRequests: 10 },
  cost: { perTenant: true, maxSeverity: "warning", bucketSeconds: 30, minRequests: 10 },
};

export const detectorConfigSchema = z
  .object({
    baseline: baseline.prefault({}),
    detectors: detectors.prefault({}),
    ensemble: ensemble.prefault({}),
    alerting: alerting.prefault({}),
    /** Upper bound on tracked series (memory): new series beyond it are counted and not tracked. */
    maxSeries: z.number().int().min(1).default(20_000),
    metrics: z
      .object(
        Object.fromEntries(METRICS.map((m) => [m, z.record(z.string(), z.unknown()).optional()])) as Record<
          MetricName,
          z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodUnknown>>
        >,
      )
      .strict()
      .prefault({}),
  })
  .strict();

type RawConfig = z.infer<typeof detectorConfigSchema>;
type Metric = z.infer<typeof metric>;

/** One metric's settings with every global section merged in. */
export interface MetricConfig extends Omit<Metric, "baseline" | "detectors" | "ensemble" | "alerting"> {
  name: MetricName;
  baseline: z.infer<typeof baseline>;
  detectors: z.infer<typeof detectors>;
  ensemble: z.infer<typeof ensemble>;
  alerting: z.infer<typeof alerting>;
}

export interface DetectorConfig {
  maxSeries: number;
  metrics: Record<MetricName, MetricConfig>;
}

function issuesOf(error: z.ZodError, prefix = ""): string[] {
  return error.issues.map(
    (i) => `${[prefix, ...i.path].filter((p) => p !== "").join(".") || "(root)"}: ${i.message}`,
  );
}

/** Validates a parsed config document; throws ConfigError listing every problem, each with its path. */
export function parseDetectorConfig(input: unknown, source = "detector config"): DetectorConfig {
  const top = detectorConfigSchema.safeParse(input ?? {});
  if (!top.success) throw new ConfigError(issuesOf(top.error).map((p) => `${source}: ${p}`));
  const raw: RawConfig = top.data;
  const problems: string[] = [];
  const metrics = {} as Record<MetricName, MetricConfig>;
  for (const name of METRICS) {
    const parsed = metric.safeParse({ ...METRIC_DEFAULTS[name], ...(raw.metrics[name] ?? {}) });
    if (!parsed.success) {
      problems.push(...issuesOf(parsed.error, `metrics.${name}`).map((p) => `${source}: ${p}`));
      continue;
    }
    const m = parsed.data;
    const merged: MetricConfig = {
      ...m,
      name,
      baseline: { ...raw.baseline, ...m.baseline },
      detectors: {
        zscore: { ...raw.detectors.zscore, ...m.detectors?.zscore },
        mad: { ...raw.detectors.mad, ...m.detectors?.mad },
        iqr: { ...raw.detectors.iqr, ...m.detectors?.iqr },
        cusum: { ...raw.detectors.cusum, ...m.detectors?.cusum },
        ewma: { ...raw.detectors.ewma, ...m.detectors?.ewma },
      },
      ensemble: { ...raw.ensemble, ...m.ensemble },
      alerting: { ...raw.alerting, ...m.alerting },
    };
    if (merged.ensemble.minVotes > merged.ensemble.detectors.length)
      problems.push(
        `${source}: metrics.${name}.ensemble.minVotes: ${merged.ensemble.minVotes} is more than its ${merged.ensemble.detectors.length} detector(s)`,
      );
    if (merged.baseline.minSamples > merged.baseline.window)
      problems.push(`${source}: metrics.${name}.baseline.minSamples: larger than the window`);
    if (merged.maxSpanSeconds < merged.bucketSeconds)
      problems.push(`${source}: metrics.${name}.maxSpanSeconds: shorter than bucketSeconds`);
    metrics[name] = merged;
  }
  if (problems.length) throw new ConfigError(problems);
  return { maxSeries: raw.maxSeries, metrics };
}

/** Reads and validates a config file (.json, or YAML otherwise). Throws ConfigError, never a stack trace. */
export function loadDetectorConfig(path: string | undefined, variable?: string): DetectorConfig {
  return path ? parseDetectorConfig(readConfigFile(path, variable), path) : parseDetectorConfig({});
}

export const DEFAULT_CONFIG: DetectorConfig = parseDetectorConfig({});
