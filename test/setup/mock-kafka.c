/*
 * A real Kafka wire-protocol broker for tests: librdkafka's mock cluster.
 *
 *   mock-kafka [brokers] [topic:partitions ...]
 *
 * Prints "BOOTSTRAP <host:port,...>" on stdout once listening, then reads commands from stdin:
 *   create <topic> <partitions>   create a topic (kafkajs admin.createTopics is not supported by the mock)
 *   down | up                     take all brokers down / bring them back (simulates an outage)
 * Exits when stdin closes (so it never outlives the test process that spawned it) or on "quit".
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  char errstr[512];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  if (brokers < 1) brokers = 1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", errstr); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "mock cluster creation failed\n"); return 1; }
  for (int i = 2; i < argc; i++) {
    char name[256]; int parts = 1;
    if (sscanf(argv[i], "%255[^:]:%d", name, &parts) >= 1) rd_kafka_mock_topic_create(mc, name, parts, 1);
  }
  printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char line[512];
  while (fgets(line, sizeof(line), stdin)) {
    char cmd[32], topic[256]; int parts = 1;
    int n = sscanf(line, "%31s %255s %d", cmd, topic, &parts);
    if (n < 1) continue;
    if (!strcmp(cmd, "create") && n >= 2) {
      rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, topic, parts, 1);
      printf("OK create %s %s\n", topic, rd_kafka_err2name(err));
    } else if (!strcmp(cmd, "down")) {
      rd_kafka_mock_broker_set_down(mc, -1);
      printf("OK down\n");
    } else if (!strcmp(cmd, "up")) {
      rd_kafka_mock_broker_set_up(mc, -1);
      printf("OK up\n");
    } else if (!strcmp(cmd, "quit")) {
      break;
    } else {
      printf("ERR unknown command\n");
    }
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
