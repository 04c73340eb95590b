"""Produce and consume over TLS / SASL with one real client library, configured by Kafka's
client property names in a JSON object; or create SCRAM users with confluent-kafka's admin API.

    security_client.py roundtrip LIBRARY BOOTSTRAP TOPIC SETTINGS_JSON
    security_client.py authfail  LIBRARY BOOTSTRAP TOPIC SETTINGS_JSON
    security_client.py scram-upsert BOOTSTRAP SETTINGS_JSON USER PASSWORD MECHANISM...

LIBRARY: confluent (librdkafka), kafka-python, aiokafka. Prints JSON lines:
{"produced": N, "consumed": N, "values_match": true} or {"auth_error": "..."}.
"""
import asyncio
import json
import os
import ssl
import sys
import time

COUNT = 20


def values():
    return [("secure-%d" % i).encode() for i in range(COUNT)]


# ---- confluent-kafka ----

def confluent_config(bootstrap, settings):
    config = {"bootstrap.servers": bootstrap}
    config.update(settings)
    return config


def confluent_roundtrip(bootstrap, topic, settings):
    from confluent_kafka import Consumer, Producer, TopicPartition
    producer = Producer(dict(confluent_config(bootstrap, settings), **{"acks": "all", "linger.ms": 5}))
    errors = []
    delivered = []
    for value in values():
        producer.produce(topic, value=value, partition=0,
                         on_delivery=lambda err, msg: errors.append(err) if err else delivered.append(msg.offset()))
    producer.flush(30)
    if errors or len(delivered) != COUNT:
        raise RuntimeError("delivery failed: %s" % errors[:3])
    consumer = Consumer(dict(confluent_config(bootstrap, settings), **{"group.id": "secure-" + topic,
                                                                       "enable.auto.commit": False}))
    consumer.assign([TopicPartition(topic, 0, min(delivered))])
    got = []
    deadline = time.time() + 30
    while len(got) < COUNT and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise RuntimeError(str(msg.error()))
        got.append(msg.value())
    consumer.close()
    return got


def confluent_authfail(bootstrap, topic, settings):
    from confluent_kafka import Producer
    errors = []
    producer = Producer(dict(confluent_config(bootstrap, settings), **{"error_cb": lambda e: errors.append(e)}))
    deadline = time.time() + 15
    while time.time() < deadline:
        producer.poll(0.2)
        for err in errors:
            if "_AUTHENTICATION" in str(err.code()) or "Authentication failed" in err.str():
                return "%s: %s" % (err.name(), err.str())
    raise RuntimeError("no authentication error, got: %s" % [str(e) for e in errors[:3]])


def scram_upsert(bootstrap, settings, user, password, mechanisms):
    from confluent_kafka.admin import (AdminClient, ScramCredentialInfo, ScramMechanism,
                                       UserScramCredentialUpsertion)
    admin = AdminClient(confluent_config(bootstrap, settings))
    alterations = [UserScramCredentialUpsertion(user, ScramCredentialInfo(getattr(ScramMechanism, m.replace("-", "_")), 4096),
                                                password.encode()) for m in mechanisms]
    futures = admin.alter_user_scram_credentials(alterations)
    for future in futures.values():
        future.result(timeout=30)
    described = admin.describe_user_scram_credentials([user])[user].result(timeout=30)
    return [info.mechanism.name.replace("_", "-") for info in described.scram_credential_infos]


# ---- kafka-python ----

def kafka_python_config(bootstrap, settings):
    config = {"bootstrap_servers": bootstrap, "security_protocol": settings.get("security.protocol", "PLAINTEXT")}
    if "sasl.mechanism" in settings:
        config.update(sasl_mechanism=settings["sasl.mechanism"], sasl_plain_username=settings["sasl.username"],
                      sasl_plain_password=settings["sasl.password"])
    if "ssl.ca.location" in settings:
        config.update(ssl_cafile=settings["ssl.ca.location"], ssl_check_hostname=True)
    if "ssl.certificate.location" in settings:
        config.update(ssl_certfile=settings["ssl.certificate.location"], ssl_keyfile=settings["ssl.key.location"])
    return config


def kafka_python_roundtrip(bootstrap, topic, settings):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    config = kafka_python_config(bootstrap, settings)
    producer = KafkaProducer(acks="all", **config)
    offsets = [producer.send(topic, value=v, partition=0).get(timeout=30).offset for v in values()]
    producer.close()
    consumer = KafkaConsumer(enable_auto_commit=False, consumer_timeout_ms=15000, **config)
    partition = TopicPartition(topic, 0)
    consumer.assign([partition])
    consumer.seek(partition, min(offsets))
    got = []
    for message in consumer:
        got.append(message.value)
        if len(got) == COUNT:
            break
    consumer.close()
    return got


def kafka_python_authfail(bootstrap, topic, settings):
    """kafka-python 3 retries a failed bootstrap until its deadline and then reports only
    "Unable to bootstrap"; the authentication failure is in its log. The producer is built on a
    thread and the first logged failure answers, so a loaded machine gets the whole minute and an
    idle one does not wait it out."""
    import logging
    import threading
    import time
    from kafka import KafkaProducer

    found = []
    outcome = []
    seen = []

    class Collect(logging.Handler):
        def emit(self, record):
            text = record.getMessage()
            seen.append(text)
            # "SaslAuthenticationFailedError: ..." is the refusal; on a loaded machine kafka-python
            # may give up first ("SASL Authentication timed out"): either way it did not get in.
            if "Authentication failed" in text or "SaslAuthenticationFailed" in text or "SASL Authentication" in text:
                found.append(text)

    logging.getLogger("kafka").addHandler(Collect())
    logging.getLogger("kafka").setLevel(logging.INFO)

    def connect():
        try:
            KafkaProducer(bootstrap_timeout_ms=60000, **kafka_python_config(bootstrap, settings)).close()
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    threading.Thread(target=connect, daemon=True).start()
    deadline = time.monotonic() + 90
    while not found and not outcome and time.monotonic() < deadline:
        time.sleep(0.05)
    if found:
        return found[0]
    if outcome and outcome[0] is None:
        raise RuntimeError("connected with a wrong password")
    if outcome:
        text = "%s: %s" % (type(outcome[0]).__name__, outcome[0])
        if "Authentication failed" in text or "SaslAuthenticationFailed" in text:
            return text
        raise RuntimeError("%s; kafka-python's log: %s" % (text, seen[-20:]))
    raise RuntimeError("no answer to a wrong password in 90 s; kafka-python's log: %s" % seen[-20:])


# ---- aiokafka ----

def aiokafka_config(bootstrap, settings):
    from aiokafka.helpers import create_ssl_context
    config = {"bootstrap_servers": bootstrap, "security_protocol": settings.get("security.protocol", "PLAINTEXT")}
    if "sasl.mechanism" in settings:
        config.update(sasl_mechanism=settings["sasl.mechanism"], sasl_plain_username=settings["sasl.username"],
                      sasl_plain_password=settings["sasl.password"])
    if config["security_protocol"] in ("SSL", "SASL_SSL"):
        config["ssl_context"] = create_ssl_context(cafile=settings.get("ssl.ca.location"),
                                                   certfile=settings.get("ssl.certificate.location"),
                                                   keyfile=settings.get("ssl.key.location"))
    return config


async def aiokafka_roundtrip_async(bootstrap, topic, settings):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    producer = AIOKafkaProducer(acks="all", **aiokafka_config(bootstrap, settings))
    await producer.start()
    try:
        offsets = [(await producer.send_and_wait(topic, value=v, partition=0)).offset for v in values()]
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **aiokafka_config(bootstrap, settings))
    await consumer.start()
    got = []
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek(partition, min(offsets))
        deadline = time.time() + 30
        while len(got) < COUNT and time.time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                got.extend(m.value for m in messages)
    finally:
        await consumer.stop()
    return got[:COUNT]


async def aiokafka_authfail_async(bootstrap, topic, settings):
    import logging
    from aiokafka import AIOKafkaProducer

    class Collect(logging.Handler):
        messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    logging.getLogger("aiokafka").addHandler(Collect())
    producer = AIOKafkaProducer(**aiokafka_config(bootstrap, settings))
    try:
        await producer.start()
    except Exception as exc:
        # aiokafka reports a failed bootstrap; the reason (error 58) is in its log.
        for text in ["%s: %s" % (type(exc).__name__, exc)] + Collect.messages:
            if "SaslAuthenticationFailed" in text or "Authentication failed" in text:
                return text
        raise
    finally:
        await producer.stop()
    raise RuntimeError("connected with a wrong password")


def main():
    action = sys.argv[1]
    if action == "scram-upsert":
        bootstrap, settings, user, password = sys.argv[2], json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
        print(json.dumps({"mechanisms": scram_upsert(bootstrap, settings, user, password, sys.argv[6:])}))
        return
    library, bootstrap, topic, settings = sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
    if action == "roundtrip":
        if library == "confluent":
            got = confluent_roundtrip(bootstrap, topic, settings)
        elif library == "kafka-python":
            got = kafka_python_roundtrip(bootstrap, topic, settings)
        else:
            got = asyncio.run(aiokafka_roundtrip_async(bootstrap, topic, settings))
        print(json.dumps({"produced": COUNT, "consumed": len(got), "values_match": got == values()}))
    elif action == "authfail":
        if library == "confluent":
            text = confluent_authfail(bootstrap, topic, settings)
        elif library == "kafka-python":
            text = kafka_python_authfail(bootstrap, topic, settings)
        else:
            text = asyncio.run(aiokafka_authfail_async(bootstrap, topic, settings))
        print(json.dumps({"auth_error": text}))
        # kafka-python's connecting thread may still be retrying: do not wait for it.
        sys.stdout.flush()
        os._exit(0)
    else:
        raise SystemExit("unknown action " + action)


if __name__ == "__main__":
    main()
