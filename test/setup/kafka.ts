import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MOCK_KAFKA_BIN = resolve(ROOT, "test/.kafka/mock-kafka");

export interface TestKafka {
  brokers: string[];
  /** "mock" = librdkafka mock cluster started for this test file; "external" = KAFKA_BROKERS. */
  kind: "mock" | "external";
  createTopic(name: string, partitions?: number): Promise<void>;
  /** Simulate an outage (mock only). */
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Kafka for tests: KAFKA_BROKERS when set, else librdkafka's mock cluster
 * (compiled by test/setup/prepare.sh) as a child process that dies with us.
 */
export async function startKafka(topics: Record<string, number> = {}): Promise<TestKafka> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    const brokers = external.split(",").map((s) => s.trim());
    const admin = new Kafka({ clientId: "test-admin", brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const createTopic = async (name: string, partitions = 1) => {
      await admin.createTopics({
        topics: [{ topic: name, numPartitions: partitions }],
        waitForLeaders: true,
      });
    };
    for (const [t, p] of Object.entries(topics)) await createTopic(t, p);
    return {
      brokers,
      kind: "external",
      createTopic,
      down: async () => {
        throw new Error("cannot take an external Kafka down");
      },
      up: async () => {},
      stop: () => admin.disconnect(),
    };
  }
  if (!existsSync(MOCK_KAFKA_BIN)) {
    throw new Error(
      `${MOCK_KAFKA_BIN} missing: run "bash test/setup/prepare.sh" (npm test does it as pretest)`,
    );
  }
  const args = ["1", ...Object.entries(topics).map(([t, p]) => `${t}:${p}`)];
  const child: ChildProcessWithoutNullStreams = spawn(MOCK_KAFKA_BIN, args, {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines = createInterface({ input: child.stdout });
  const waiters: Array<(line: string) => void> = [];
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  lines.on("line", (line) => waiters.shift()?.(line));
  const nextLine = () =>
    new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`mock kafka did not answer: ${stderr}`)), 10_000);
      waiters.push((l) => {
        clearTimeout(t);
        res(l);
      });
    });
  const first = await nextLine();
  const m = /^BOOTSTRAP (.+)$/.exec(first);
  if (!m) throw new Error(`unexpected mock kafka output: ${first}`);
  const command = async (cmd: string) => {
    const answer = nextLine();
    child.stdin.write(`${cmd}\n`);
    const line = await answer;
    if (!line.startsWith("OK")) throw new Error(`mock kafka: ${line}`);
  };
  return {
    brokers: m[1]!.split(","),
    kind: "mock",
    createTopic: (name, partitions = 1) => command(`create ${name} ${partitions}`),
    down: () => command("down"),
    up: () => command("up"),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      await exited;
    },
  };
}
