"""ACLs with confluent-kafka's AdminClient (CreateAcls, DescribeAcls, DeleteAcls) and a SASL user
refused, then allowed, then refused again.

    acl_client.py scenario BOOTSTRAP ADMIN_SETTINGS_JSON USER_SETTINGS_JSON TOPIC PRINCIPAL

Prints one JSON object: the refusal before any ACL, the ACLs described, the produce result once
allowed, the ACLs deleted, the refusal after the deletion, and the user's own CreateAcls refused.
"""
import json
import sys
import time

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, AdminClient,
                                   NewTopic, ResourcePatternType, ResourceType)


def config(bootstrap, settings):
    c = {"bootstrap.servers": bootstrap}
    c.update(settings)
    return c


def produce_once(bootstrap, settings, topic):
    """The delivery error's name, or None when the record was written."""
    result = []
    producer = Producer(dict(config(bootstrap, settings), **{"message.timeout.ms": 10000}))
    producer.produce(topic, value=b"acl", on_delivery=lambda err, msg: result.append(err))
    producer.flush(15)
    if not result:
        return "NO_DELIVERY_REPORT"
    return result[0].name() if result[0] else None


def until(what, body, timeout=30):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = body()
        if what(last):
            return last
        time.sleep(0.2)
    return last


def describe(binding):
    return {"resource_type": binding.restype.name, "name": binding.name, "pattern": binding.resource_pattern_type.name,
            "principal": binding.principal, "host": binding.host, "operation": binding.operation.name,
            "permission": binding.permission_type.name}


def scenario(bootstrap, admin_settings, user_settings, topic, principal):
    admin = AdminClient(config(bootstrap, admin_settings))
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=30)
    out = {"refused_before": produce_once(bootstrap, user_settings, topic)}
    bindings = [
        AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, principal, "*", AclOperation.WRITE,
                   AclPermissionType.ALLOW),
        AclBinding(ResourceType.TOPIC, topic[:3], ResourcePatternType.PREFIXED, principal, "*", AclOperation.READ,
                   AclPermissionType.ALLOW),
    ]
    for future in admin.create_acls(bindings).values():
        future.result(timeout=30)
    any_filter = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                                  AclPermissionType.ANY)
    out["described"] = sorted((describe(b) for b in admin.describe_acls(any_filter).result(timeout=30)),
                              key=lambda d: (d["pattern"], d["operation"]))
    out["allowed"] = until(lambda r: r is None, lambda: produce_once(bootstrap, user_settings, topic))
    write_filter = AclBindingFilter(ResourceType.TOPIC, topic, ResourcePatternType.MATCH, principal, None,
                                    AclOperation.WRITE, AclPermissionType.ALLOW)
    deleted = []
    for future in admin.delete_acls([write_filter]).values():
        deleted += future.result(timeout=30)
    out["deleted"] = [describe(b) for b in deleted]
    out["refused_after"] = until(lambda r: r is not None, lambda: produce_once(bootstrap, user_settings, topic))
    user_admin = AdminClient(config(bootstrap, user_settings))
    try:
        for future in user_admin.create_acls(bindings[:1]).values():
            future.result(timeout=30)
        out["user_create_acls"] = None
    except KafkaException as e:
        out["user_create_acls"] = e.args[0].name()
    return out


def main():
    if sys.argv[1] != "scenario":
        raise SystemExit("unknown action " + sys.argv[1])
    bootstrap, admin, user, topic, principal = sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4]), sys.argv[5], sys.argv[6]
    print(json.dumps(scenario(bootstrap, admin, user, topic, principal)))


if __name__ == "__main__":
    main()
