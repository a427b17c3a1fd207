/**
 * Scores emitted anomalies against labelled incidents.
 *   alert       a firing event that opens an episode of its series (escalations of an open one are not new alerts)
 *   true alert  an alert on the incident's provider/model (its tenant's series or the model's) while the
 *               incident lasts or within `graceMs` after it, whatever the metric (a token flood does slow calls)
 *   detected    an incident with a true alert on one of its expected metrics; delay = that alert - start
 *   false alarm an alert that matches no incident
 */
import type { AnomalyEvent } from "@llmops/shared/events";
import type { Incident, IncidentKind } from "./generator.ts";

export interface Score {
  alerts: number;
  trueAlerts: number;
  falseAlarms: number;
  precision: number;
  recall: number;
  /** Mean delay from incident start to its first alert on an expected metric, in seconds. */
  meanDelaySeconds: number | null;
  falseAlarmsPerDay: number;
  /** False alarms of severity critical (what pages someone, and what the router steers on). */
  criticalFalseAlarmsPerDay: number;
  byKind: Partial<
    Record<IncidentKind, { incidents: number; detected: number; meanDelaySeconds: number | null }>
  >;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function score(
  anomalies: readonly AnomalyEvent[],
  incidents: readonly Incident[],
  days: number,
  graceMs = 10 * 60_000,
): Score {
  const open = new Set<string>();
  const alerts: AnomalyEvent[] = [];
  for (const a of anomalies) {
    const key = `${a.subject.provider}|${a.subject.model}|${a.subject.tenant ?? ""}|${a.metric}`;
    if (a.state === "resolved") open.delete(key);
    else if (!open.has(key)) {
      open.add(key);
      alerts.push(a);
    }
  }
  const covers = (i: Incident, a: AnomalyEvent) => {
    const t = Date.parse(a.detectedAt);
    return (
      a.subject.provider === i.provider &&
      a.subject.model === i.model &&
      (a.subject.tenant === undefined || i.tenant === undefined || a.subject.tenant === i.tenant) &&
      t >= i.start &&
      t <= i.end + graceMs
    );
  };
  let trueAlerts = 0;
  let criticalFalse = 0;
  for (const a of alerts) {
    if (incidents.some((i) => covers(i, a))) trueAlerts++;
    else if (a.severity === "critical") criticalFalse++;
  }
  const delays: number[] = [];
  const byKind: Score["byKind"] = {};
  const kindDelays = new Map<IncidentKind, number[]>();
  for (const i of incidents) {
    const k = (byKind[i.kind] ??= { incidents: 0, detected: 0, meanDelaySeconds: null });
    k.incidents++;
    const first = alerts.find((a) => covers(i, a) && i.metrics.includes(a.metric as never));
    if (!first) continue;
    k.detected++;
    const d = (Date.parse(first.detectedAt) - i.start) / 1000;
    delays.push(d);
    kindDelays.set(i.kind, [...(kindDelays.get(i.kind) ?? []), d]);
  }
  for (const [kind, ds] of kindDelays) byKind[kind]!.meanDelaySeconds = round(mean(ds)!);
  const detected = delays.length;
  const falseAlarms = alerts.length - trueAlerts;
  return {
    alerts: alerts.length,
    trueAlerts,
    falseAlarms,
    precision: alerts.length ? round(trueAlerts / alerts.length) : 1,
    recall: incidents.length ? round(detected / incidents.length) : 1,
    meanDelaySeconds: delays.length ? round(mean(delays)!) : null,
    falseAlarmsPerDay: round(falseAlarms / days),
    criticalFalseAlarmsPerDay: round(criticalFalse / days),
    byKind,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
