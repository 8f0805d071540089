"""Check JSON bodies against the API message classes the installed Google Cloud CLI ships (apitools).

Usage (with the SDK's own Python): python gcloud_messages.py SDK_ROOT < files.json > problems.json, where
files.json is a list of [message kind, path] and kind one of KINDS. gcloud reads these files only after it
has credentials, so argument parsing alone does not check them: here each is decoded into the message class
gcloud would send, and every field or enum value the class does not know is reported ("a.b.c: unknown field
x"), recursively. An empty list means every file is made of fields the API defines.
"""

import json
import os
import sys

KINDS = {
    "LogMetric": ("googlecloudsdk.generated_clients.apis.logging.v2.logging_v2_messages", "LogMetric"),
    "AlertPolicy": ("googlecloudsdk.generated_clients.apis.monitoring.v3.monitoring_v3_messages", "AlertPolicy"),
    "NotificationChannel": (
        "googlecloudsdk.generated_clients.apis.monitoring.v3.monitoring_v3_messages",
        "NotificationChannel",
    ),
    "Dashboard": ("googlecloudsdk.generated_clients.apis.monitoring.v1.monitoring_v1_messages", "Dashboard"),
}


def problems(msg, where):
    from apitools.base.protorpclite import messages

    out = [f"{where}: unknown field or enum value in {name}" for name in msg.all_unrecognized_fields()]
    for field in msg.all_fields():
        value = msg.get_assigned_value(field.name)
        values = value if field.repeated else [value]
        for i, v in enumerate(values or []):
            at = f"{where}.{field.name}" + (f"[{i}]" if field.repeated else "")
            if isinstance(v, messages.Message):
                out += problems(v, at)
    return out


def main():
    root = sys.argv[1]
    lib = os.path.join(root, "lib")
    sys.path.insert(0, lib)
    sys.path.insert(0, os.path.join(lib, "third_party"))
    import importlib

    from apitools.base.py import encoding

    found = []
    for kind, path in json.load(sys.stdin):
        module, name = KINDS[kind]
        cls = getattr(importlib.import_module(module), name)
        with open(path) as fh:
            text = fh.read()
        try:
            msg = encoding.JsonToMessage(cls, text)
        except Exception as exc:  # noqa: BLE001 - reported, the test decides
            found.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        found += [f"{path}: {p}" for p in problems(msg, kind)]
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
