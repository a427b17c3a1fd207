// Preloaded (--import) into the bundled service children: a full GC when the bench asks over IPC, so
// memory readings show what is retained. Needs --expose-gc; the IPC channel does not keep the child alive.
import process from "node:process";

process.on("message", (m) => {
  if (m !== "gc") return;
  globalThis.gc?.();
  process.send?.("gc-done");
});
process.channel?.unref();
