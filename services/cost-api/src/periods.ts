/** UTC calendar periods and hour arithmetic (budgets are per UTC day or month). */
export type Period = "day" | "month";

export function periodBounds(period: Period, at: Date): { start: Date; end: Date } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  if (period === "day") {
    const start = new Date(Date.UTC(y, m, at.getUTCDate()));
    return { start, end: new Date(start.getTime() + 86_400_000) };
  }
  return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}

const HOUR = 3_600_000;
export const floorHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR);
export const ceilHour = (d: Date) => new Date(Math.ceil(d.getTime() / HOUR) * HOUR);

const DAY = 86_400_000;
export const floorDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY) * DAY);
export const ceilDay = (d: Date) => new Date(Math.ceil(d.getTime() / DAY) * DAY);
