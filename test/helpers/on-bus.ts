/**
 * Real services in this process on one shared bus, for specs of how they work together: each started
 * from its definition on a free port with embedded Postgres, closed in reverse order of starting.
 */
import { loadDefinition } from "../../services/services.ts";
import { type EventBus, type Logger, startService } from "../../services/shared/src/index.ts";

export type RunningService = Awaited<ReturnType<typeof startService>>;

export function servicesOnBus(opts: { bus: EventBus; logger: Logger; env: Record<string, string> }) {
  const running: RunningService[] = [];
  return {
    async start(name: string, env: Record<string, string> = {}): Promise<RunningService> {
      const svc = await startService(await loadDefinition(name), {
        env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DATA_DIR: "memory", ...opts.env, ...env },
        bus: opts.bus,
        logger: opts.logger,
      });
      running.push(svc);
      return svc;
    },
    async closeAll(): Promise<void> {
      for (const svc of running.splice(0).reverse()) await svc.close();
    },
  };
}
