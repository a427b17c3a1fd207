import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/** Paths never written to logs: client keys, provider keys, cookies. */
export const REDACT_PATHS = [
  "authorization",
  "apiKey",
  "*.apiKey",
  "headers.authorization",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'req.headers["api-key"]',
  "req.headers.cookie",
];

export function createLogger(service: string, level = "info", destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination,
  );
}
