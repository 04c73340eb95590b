"""Describes a broker's configs with a real client's admin API and prints one JSON line per
config: {"name", "value", "source", "read_only", "sensitive", "synonyms": [[name, value, source]]}.
Sources are Kafka's names (STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ...).

    python3 describe_broker_configs.py confluent|kafka_python --bootstrap HOST:PORT --broker ID
"""
import argparse
import json

SOURCES = {1: "DYNAMIC_TOPIC_CONFIG", 2: "DYNAMIC_BROKER_CONFIG", 3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
           4: "STATIC_BROKER_CONFIG", 5: "DEFAULT_CONFIG", 6: "DYNAMIC_BROKER_LOGGER_CONFIG"}


def confluent(bootstrap, broker):
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource(ResourceType.BROKER, str(broker))
    entries = admin.describe_configs([resource], request_timeout=30)[resource].result(timeout=60)
    def source(value):  # an int or a ConfigSource, depending on the version
        return ConfigSource(value).name

    for name, entry in sorted(entries.items()):
        yield {"name": name, "value": entry.value, "source": source(entry.source),
               "read_only": entry.is_read_only, "sensitive": entry.is_sensitive,
               "synonyms": [[s.name, s.value, source(s.source)] for s in entry.synonyms.values()]}


def kafka_python(bootstrap, broker):
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30000)
    try:
        described = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, str(broker))],
                                           include_synonyms=True, config_filter="all")
    finally:
        admin.close()
    for name, entry in sorted(described["broker"][str(broker)].items()):
        yield {"name": name, "value": entry.get("value"), "source": SOURCES.get(entry.get("config_source"), entry.get("config_source")),
               "read_only": entry.get("read_only"), "sensitive": entry.get("is_sensitive"),
               "synonyms": [[s.get("name"), s.get("value"), SOURCES.get(s.get("source"), s.get("source"))]
                            for s in entry.get("synonyms", [])],
               "raw": {k: v for k, v in entry.items() if k != "synonyms"}}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("client", choices=["confluent", "kafka_python"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--broker", required=True)
    args = parser.parse_args()
    run = confluent if args.client == "confluent" else kafka_python
    for line in run(args.bootstrap, args.broker):
        print(json.dumps(line, default=str), flush=True)
