"""A recording stand-in for `gcloud` and `bq`, put first on PATH by the deploy tests.

Every invocation is appended to $FAKECLOUD_LOG (one JSON argv per line). Describes answer from the JSON
state file $FAKECLOUD_STATE in the shapes the real CLIs print with --format=json (API field names: v2
functions, raw bucket metadata, bq's table resource...), or fail with the real "NOT_FOUND"/"Not found" text;
creates and updates change the state, so a second deploy sees what the first one made. It mimics a few real
failures too: a scheduler topic given as a bare id (gcloud cannot resolve its project), a secret mapped
without an enabled version, a deploy source folder without main.py. `state["errors"]` maps a command path
("pubsub topics describe") to an error text it answers with instead. Standard library only, to start fast.
"""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

GCLOUD_COMMANDS = [
    "projects describe",
    "projects get-iam-policy",
    "projects add-iam-policy-binding",
    "projects remove-iam-policy-binding",
    "services list",
    "services enable",
    "iam service-accounts describe",
    "iam service-accounts create",
    "iam service-accounts update",
    "iam service-accounts delete",
    "pubsub topics describe",
    "pubsub topics create",
    "pubsub topics delete",
    "pubsub topics get-iam-policy",
    "pubsub topics add-iam-policy-binding",
    "pubsub subscriptions describe",
    "pubsub subscriptions create",
    "pubsub subscriptions update",
    "pubsub subscriptions delete",
    "pubsub subscriptions get-iam-policy",
    "pubsub subscriptions add-iam-policy-binding",
    "storage buckets describe",
    "storage buckets create",
    "storage buckets update",
    "storage buckets get-iam-policy",
    "storage buckets add-iam-policy-binding",
    "storage buckets remove-iam-policy-binding",
    "storage buckets notifications list",
    "storage buckets notifications create",
    "storage buckets notifications delete",
    "storage rm",
    "secrets describe",
    "secrets create",
    "secrets delete",
    "secrets versions list",
    "secrets get-iam-policy",
    "secrets add-iam-policy-binding",
    "functions describe",
    "functions deploy",
    "functions delete",
    "run jobs describe",
    "run jobs deploy",
    "run jobs delete",
    "run services get-iam-policy",
    "run services add-iam-policy-binding",
    "eventarc triggers describe",
    "scheduler jobs describe",
    "scheduler jobs create pubsub",
    "scheduler jobs update pubsub",
    "scheduler jobs delete",
    "logging metrics describe",
    "logging metrics create",
    "logging metrics update",
    "logging metrics delete",
    "beta monitoring channels list",
    "beta monitoring channels create",
    "beta monitoring channels update",
    "beta monitoring channels delete",
    "alpha monitoring policies list",
    "alpha monitoring policies create",
    "alpha monitoring policies update",
    "alpha monitoring policies delete",
    "monitoring dashboards list",
    "monitoring dashboards create",
    "monitoring dashboards update",
    "monitoring dashboards delete",
]
# Monitoring resources with server-made ids: state key, collection in the resource name, file flag.
_LISTED = {
    "beta monitoring channels": ("channels", "notificationChannels", "channel-content-from-file"),
    "alpha monitoring policies": ("policies", "alertPolicies", "policy-from-file"),
    "monitoring dashboards": ("dashboards", "dashboards", "config-from-file"),
}
_LEGACY_TYPES = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN", "STRUCT": "RECORD"}
_DATASET_ROLES = {"roles/bigquery.dataEditor": "WRITER", "roles/bigquery.dataViewer": "READER"}


class Fail(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def parse(tokens: list[str]) -> tuple[list[str], dict[str, Any]]:
    pos: list[str] = []
    flags: dict[str, Any] = {}
    for t in tokens:
        if t.startswith("--"):
            k, eq, v = t[2:].partition("=")
            flags[k] = v if eq else True
        elif t.startswith("-") and len(t) > 1:
            for ch in t[1:]:
                flags[ch] = True
        else:
            pos.append(t)
    return pos, flags


def not_found(tool: str, what: str) -> Fail:
    return Fail(f"ERROR: ({tool}) NOT_FOUND: {what} not found")


class Cloud:
    def __init__(self, state: dict[str, Any]) -> None:
        self.s = state
        for key in (
            "services",
            "service_accounts",
            "iam",
            "topics",
            "subscriptions",
            "datasets",
            "tables",
            "buckets",
            "notifications",
            "secrets",
            "functions",
            "triggers",
            "jobs",
            "run_jobs",
            "metrics",
            "channels",
            "policies",
            "dashboards",
        ):
            state.setdefault(key, [] if key == "services" else {})
        state.setdefault("counter", 0)

    # -- helpers
    @property
    def project(self) -> dict[str, Any]:
        return self.s["project"]

    def pid(self) -> str:
        return self.project["projectId"]

    def next_id(self) -> int:
        self.s["counter"] += 1
        return self.s["counter"]

    def policy(self, key: str) -> dict[str, Any]:
        return {"bindings": self.s["iam"].get(key, []), "etag": "BwX", "version": 1}

    def add_binding(self, key: str, member: str, role: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
        bindings = self.s["iam"].setdefault(key, [])
        for b in bindings:
            if b["role"] == role and b.get("condition") == condition:
                if member not in b["members"]:
                    b["members"].append(member)
                break
        else:
            bindings.append({"role": role, "members": [member], **({"condition": condition} if condition else {})})
        return self.policy(key)

    def remove_binding(self, key: str, member: str, role: str) -> dict[str, Any]:
        """Removes the unconditional binding (what `--condition=None` or no condition flag names)."""
        for b in self.s["iam"].get(key, []):
            if b["role"] == role and member in b["members"] and not b.get("condition"):
                b["members"].remove(member)
                return self.policy(key)
        raise Fail(f"ERROR: Policy binding with the specified principal, role, and condition not found: {member}")

    def topic_id(self, value: str, flag: str = "topic") -> str:
        m = re.fullmatch(r"projects/([^/]+)/topics/([^/]+)", value)
        return m.group(2) if m else value

    def full_topic(self, tid: str) -> str:
        return f"projects/{self.pid()}/topics/{tid}"

    # -- gcloud
    def gcloud(self, path: str, pos: list[str], f: dict[str, Any]) -> Any:
        if f.get("project") != self.pid():
            raise Fail(f"ERROR: (gcloud.{path}) project {f.get('project')!r} is not the fake's project")
        s = self.s
        if path == "projects describe":
            return self.project
        if path == "projects get-iam-policy":
            return self.policy("project")
        if path == "projects add-iam-policy-binding":
            return self.add_binding("project", f["member"], f["role"])
        if path == "projects remove-iam-policy-binding":
            return self.remove_binding("project", f["member"], f["role"])
        if path == "services list":
            n = self.project["projectNumber"]
            return [
                {"config": {"name": a}, "name": f"projects/{n}/services/{a}", "state": "ENABLED"} for a in s["services"]
            ]
        if path == "services enable":
            s["services"] += [a for a in pos if a not in s["services"]]
            return None
        if path.startswith("iam service-accounts"):
            return self.service_accounts(path.split()[-1], pos, f)
        if path.startswith("pubsub topics"):
            return self.topics(path.split()[-1], pos, f)
        if path.startswith("pubsub subscriptions"):
            return self.subscriptions(path.split()[-1], pos, f)
        if path.startswith("storage"):
            return self.storage(path, pos, f)
        if path.startswith("secrets"):
            return self.secrets(path, pos, f)
        if path.startswith("functions"):
            return self.functions(path.split()[-1], pos, f)
        if path.startswith("run jobs"):
            return self.run_jobs(path.split()[-1], pos, f)
        if path.startswith("run services"):
            svc = pos[0]
            if svc not in {fn["serviceConfig"]["service"].rsplit("/", 1)[-1] for fn in s["functions"].values()}:
                raise not_found("gcloud.run.services", f"Service [{svc}]")
            if path.endswith("get-iam-policy"):
                return self.policy(f"run:{svc}")
            return self.add_binding(f"run:{svc}", f["member"], f["role"])
        if path == "eventarc triggers describe":
            trig = s["triggers"].get(pos[0])
            if trig is None:
                raise not_found("gcloud.eventarc.triggers.describe", f"Trigger [{pos[0]}]")
            return trig
        if path.startswith("scheduler jobs"):
            return self.jobs(path, pos, f)
        if path.startswith("logging metrics"):
            return self.metrics(path.split()[-1], pos, f)
        group = path.rsplit(" ", 1)[0]
        if group in _LISTED:
            return self.listed(group, path.split()[-1], pos, f)
        raise Fail(f"fakecloud: unhandled gcloud command {path}", 3)

    def metrics(self, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        metrics, name = self.s["metrics"], pos[0]
        if verb == "create":
            if name in metrics:
                raise Fail(f"ERROR: (gcloud.logging.metrics.create) ALREADY_EXISTS: metric {name} exists")
            body = json.loads(Path(f["config-from-file"]).read_text())
            metrics[name] = self.metric_resource(name, body)
            return metrics[name]
        if name not in metrics:
            raise not_found("gcloud.logging.metrics", f"Metric {name}")
        if verb == "describe":
            return metrics[name]
        if verb == "update":
            metrics[name] = self.metric_resource(name, json.loads(Path(f["config-from-file"]).read_text()))
            return metrics[name]
        del metrics[name]
        return None

    def metric_resource(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """As the API answers: name, times and the descriptor's own fields added, defaults left out."""
        out = json.loads(json.dumps(body))
        md = out.setdefault("metricDescriptor", {})
        md.update(
            name=f"projects/{self.pid()}/metricDescriptors/logging.googleapis.com/user/{name}",
            type=f"logging.googleapis.com/user/{name}",
        )
        return {"name": name, "createTime": "2026-01-01T00:00:00Z", **out}

    def listed(self, group: str, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        key, collection, flag = _LISTED[group]
        items = self.s[key]
        if verb == "list":
            m = re.fullmatch(r'displayName="(.*)"', str(f.get("filter", "")))
            return [v for v in items.values() if m is None or v.get("displayName") == m.group(1)]
        if verb == "create":
            body = json.loads(Path(f[flag]).read_text())
            parent = self.project["projectNumber"] if key == "dashboards" else self.pid()
            name = f"projects/{parent}/{collection}/{self.next_id()}"
            items[name] = {**_drop_defaults(body), "name": name, "etag": "e1"}
            return items[name]
        name = pos[0]
        if name not in items:
            raise not_found(f"gcloud.{group.replace(' ', '.')}", name)
        if verb == "update":
            body = json.loads(Path(f[flag]).read_text())
            if key == "dashboards" and body.get("etag") != items[name]["etag"]:
                raise Fail("ERROR: (gcloud.monitoring.dashboards.update) ABORTED: etag mismatch")
            etag = f"e{int(items[name]['etag'][1:]) + 1}"
            items[name] = {**_drop_defaults(body), "name": name, "etag": etag}
            return items[name]
        del items[name]
        return None

    def service_accounts(self, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        accounts = self.s["service_accounts"]
        if verb == "create":
            email = f"{pos[0]}@{self.pid()}.iam.gserviceaccount.com"
            if email in accounts:
                raise Fail("ERROR: ALREADY_EXISTS: Service account already exists")
            accounts[email] = {
                "email": email,
                "name": f"projects/{self.pid()}/serviceAccounts/{email}",
                "displayName": f.get("display-name", ""),
                "description": f.get("description", ""),
            }
            return accounts[email]
        if pos[0] not in accounts:
            raise not_found("gcloud.iam.service-accounts", "Unknown service account")
        if verb == "describe":
            return accounts[pos[0]]
        if verb == "update":
            if "description" in f:
                accounts[pos[0]]["description"] = f["description"]
            return accounts[pos[0]]
        del accounts[pos[0]]
        return None

    def topics(self, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        topics = self.s["topics"]
        name = pos[0]
        if verb == "create":
            if name in topics:
                raise Fail("ERROR: ALREADY_EXISTS: Resource already exists in the project")
            labels = dict(kv.split("=", 1) for kv in str(f.get("labels", "")).split(",") if kv)
            topics[name] = {"name": self.full_topic(name), "labels": labels}
            return topics[name]
        if name not in topics:
            raise not_found("gcloud.pubsub.topics", f"Resource (resource={name})")
        if verb == "describe":
            return topics[name]
        if verb == "get-iam-policy":
            return self.policy(f"topic:{name}")
        if verb == "add-iam-policy-binding":
            return self.add_binding(f"topic:{name}", f["member"], f["role"])
        del topics[name]
        self.s["iam"].pop(f"topic:{name}", None)
        return None

    def subscriptions(self, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        subs = self.s["subscriptions"]
        name = pos[0]
        if verb == "create":
            if self.topic_id(f["topic"]) not in self.s["topics"]:
                raise not_found("gcloud.pubsub.subscriptions.create", "Topic")
            subs[name] = {
                "name": f"projects/{self.pid()}/subscriptions/{name}",
                "topic": self.full_topic(self.topic_id(f["topic"])),
                "ackDeadlineSeconds": int(f.get("ack-deadline", 10)),
                "messageRetentionDuration": _seconds(f.get("message-retention-duration", "7d")),
                "expirationPolicy": {} if f.get("expiration-period") == "never" else {"ttl": "2678400s"},
            }
            return subs[name]
        if name not in subs:
            raise not_found("gcloud.pubsub.subscriptions", f"Resource (resource={name})")
        sub = subs[name]
        if verb == "describe":
            return sub
        if verb == "get-iam-policy":
            return self.policy(f"sub:{name}")
        if verb == "add-iam-policy-binding":
            return self.add_binding(f"sub:{name}", f["member"], f["role"])
        if verb == "update":
            if "max-delivery-attempts" in f:
                sub["deadLetterPolicy"] = {
                    "deadLetterTopic": self.full_topic(self.topic_id(f["dead-letter-topic"])),
                    "maxDeliveryAttempts": int(f["max-delivery-attempts"]),
                }
            if "ack-deadline" in f:
                sub["ackDeadlineSeconds"] = int(f["ack-deadline"])
            if "min-retry-delay" in f:
                sub["retryPolicy"] = {"minimumBackoff": f["min-retry-delay"], "maximumBackoff": f["max-retry-delay"]}
            if "message-retention-duration" in f:
                sub["messageRetentionDuration"] = _seconds(f["message-retention-duration"])
            if f.get("expiration-period") == "never":
                sub["expirationPolicy"] = {}
            return sub
        del subs[name]
        return None

    def storage(self, path: str, pos: list[str], f: dict[str, Any]) -> Any:
        buckets = self.s["buckets"]
        url = pos[0] if pos else ""
        if path == "storage buckets notifications delete":
            m = re.fullmatch(r"projects/_/buckets/([^/]+)/notificationConfigs/(\w+)", url)
            if not m:
                raise Fail(f"ERROR: bad notification url {url}")
            notes = self.s["notifications"].get(m.group(1), [])
            self.s["notifications"][m.group(1)] = [n for n in notes if n["id"] != m.group(2)]
            return None
        name = url.removeprefix("gs://")
        if path == "storage buckets create":
            if name in buckets:
                raise Fail(f"ERROR: HTTPError 409: The requested bucket name is not available: {name}")
            bucket = {
                "kind": "storage#bucket",
                "name": name,
                "location": str(f.get("location", "US")).upper(),
                "storageClass": "STANDARD",
                "iamConfiguration": {
                    "uniformBucketLevelAccess": {"enabled": bool(f.get("uniform-bucket-level-access"))},
                    "publicAccessPrevention": "enforced" if f.get("public-access-prevention") else "inherited",
                },
            }
            if f.get("soft-delete-duration"):
                bucket["softDeletePolicy"] = {"retentionDurationSeconds": _seconds(f["soft-delete-duration"])[:-1]}
            else:  # Cloud Storage's default for a new bucket
                bucket["softDeletePolicy"] = {"retentionDurationSeconds": "604800"}
            if f.get("lifecycle-file"):
                bucket["lifecycle"] = {"rule": json.loads(Path(f["lifecycle-file"]).read_text())["rule"]}
            buckets[name] = bucket
            return None
        if name not in buckets:
            raise Fail(f"ERROR: (gcloud.{path.replace(' ', '.')}) {url} not found: 404.")
        b = buckets[name]
        if path == "storage buckets describe":
            return b
        if path == "storage buckets update":
            if f.get("lifecycle-file"):
                b["lifecycle"] = {"rule": json.loads(Path(f["lifecycle-file"]).read_text())["rule"]}
            if f.get("clear-lifecycle"):
                b.pop("lifecycle", None)
            if f.get("soft-delete-duration"):
                b["softDeletePolicy"] = {"retentionDurationSeconds": _seconds(f["soft-delete-duration"])[:-1]}
            if f.get("uniform-bucket-level-access"):
                b["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] = True
            if f.get("public-access-prevention"):
                b["iamConfiguration"]["publicAccessPrevention"] = "enforced"
            return None
        if path == "storage buckets get-iam-policy":
            return self.policy(f"bucket:{name}")
        if path == "storage buckets add-iam-policy-binding":
            condition = json.loads(Path(f["condition-from-file"]).read_text()) if f.get("condition-from-file") else None
            if condition and not b["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"]:
                raise Fail("ERROR: HTTPError 400: IAM Conditions need uniform bucket-level access")
            return self.add_binding(f"bucket:{name}", f["member"], f["role"], condition)
        if path == "storage buckets remove-iam-policy-binding":
            return self.remove_binding(f"bucket:{name}", f["member"], f["role"])
        if path == "storage buckets notifications list":
            return [{"Bucket URL": url, "Notification Configuration": n} for n in self.s["notifications"].get(name, [])]
        if path == "storage buckets notifications create":
            topic = f["topic"]
            if not re.fullmatch(r"projects/[^/]+/topics/[^/]+", topic) or self.topic_id(topic) not in self.s["topics"]:
                raise Fail(f"ERROR: topic {topic} not found")
            note = {
                "id": str(self.next_id()),
                "topic": f"//pubsub.googleapis.com/{topic}",
                "event_types": f["event-types"].split(","),
                "payload_format": "JSON_API_V1",
            }
            self.s["notifications"].setdefault(name, []).append(note)
            # The real command also grants the Cloud Storage service agent publisher on the topic.
            agent = (
                f"serviceAccount:service-{self.project['projectNumber']}@gs-project-accounts.iam.gserviceaccount.com"
            )
            self.add_binding(f"topic:{self.topic_id(topic)}", agent, "roles/pubsub.publisher")
            return note
        if path == "storage rm":
            if not f.get("recursive"):
                raise Fail("ERROR: removing a bucket needs --recursive")
            del buckets[name]
            self.s["notifications"].pop(name, None)
            self.s["iam"].pop(f"bucket:{name}", None)
            return None
        raise Fail(f"fakecloud: unhandled {path}", 3)

    def secrets(self, path: str, pos: list[str], f: dict[str, Any]) -> Any:
        secrets = self.s["secrets"]
        sid = pos[0]
        if path == "secrets create":
            if sid in secrets:
                raise Fail(f"ERROR: ALREADY_EXISTS: Secret [{sid}] already exists")
            labels = dict(kv.split("=", 1) for kv in str(f.get("labels", "")).split(",") if kv)
            ann = dict(kv.split("=", 1) for kv in str(f.get("set-annotations", "")).split(",") if kv)
            secrets[sid] = {
                "name": f"projects/{self.project['projectNumber']}/secrets/{sid}",
                "labels": labels,
                "annotations": ann,
                "replication": {"automatic": {}},
                "versions": [],
            }
            return {k: v for k, v in secrets[sid].items() if k != "versions"}
        if sid not in secrets:
            raise not_found("gcloud.secrets", f"Secret [projects/{self.project['projectNumber']}/secrets/{sid}]")
        if path == "secrets describe":
            return {k: v for k, v in secrets[sid].items() if k != "versions"}
        if path == "secrets versions list":
            return secrets[sid]["versions"]
        if path == "secrets get-iam-policy":
            return self.policy(f"secret:{sid}")
        if path == "secrets add-iam-policy-binding":
            return self.add_binding(f"secret:{sid}", f["member"], f["role"])
        del secrets[sid]
        self.s["iam"].pop(f"secret:{sid}", None)
        return None

    def functions(self, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        fns = self.s["functions"]
        name, region = pos[0], f.get("region")
        if verb == "describe":
            if name not in fns:
                raise not_found(
                    "gcloud.functions.describe", f"Resource 'projects/{self.pid()}/locations/{region}/functions/{name}'"
                )
            return fns[name]
        if verb == "delete":
            fn = fns.pop(name, None)
            if fn is None:
                raise not_found("gcloud.functions.delete", f"Function {name}")
            trig = self.s["triggers"].pop(fn["eventTrigger"]["trigger"].rsplit("/", 1)[-1])
            sub = trig["transport"]["pubsub"]["subscription"].rsplit("/", 1)[-1]
            self.s["subscriptions"].pop(sub, None)
            self.s["iam"].pop(f"sub:{sub}", None)
            self.s["iam"].pop(f"run:{fn['serviceConfig']['service'].rsplit('/', 1)[-1]}", None)
            return None
        # deploy: the source must be a folder Cloud Build can build (main.py + requirements.txt).
        src = Path(f["source"])
        if not (src / "main.py").is_file() or not (src / "requirements.txt").is_file():
            raise Fail(f"ERROR: (gcloud.functions.deploy) source {src} lacks main.py or requirements.txt")
        topic = self.topic_id(f["trigger-topic"])
        if topic not in self.s["topics"]:
            raise Fail(f"ERROR: (gcloud.functions.deploy) topic {topic} not found")
        secrets = []
        if f.get("set-secrets"):
            for item in f["set-secrets"].split(","):
                env, ref = item.split("=", 1)
                sid, version = ref.split(":", 1)
                sec = self.s["secrets"].get(sid)
                if sec is None or not any(v.get("state") == "ENABLED" for v in sec["versions"]):
                    raise Fail(f"ERROR: (gcloud.functions.deploy) Secret {sid} version {version} was not found")
                secrets.append({"key": env, "projectId": self.pid(), "secret": sid, "version": version})
        env_vars = dict(kv.split("=", 1) for kv in str(f.get("set-env-vars", "")).split(",") if kv)
        fn = fns.get(name)
        if fn is None:
            n = self.next_id()
            trig_id = f"{name}-{n:06d}"
            sub = f"eventarc-{region}-{trig_id}-sub-{n:03d}"
            self.s["subscriptions"][sub] = {
                "name": f"projects/{self.pid()}/subscriptions/{sub}",
                "topic": self.full_topic(topic),
                "ackDeadlineSeconds": 10,  # what Eventarc is reported to leave (Pub/Sub's default); deploy sets it
                "pushConfig": {"pushEndpoint": f"https://{name}-xyz-{region}.a.run.app"},
                "messageRetentionDuration": "86400s",
            }
            self.s["triggers"][trig_id] = {
                "name": f"projects/{self.pid()}/locations/{region}/triggers/{trig_id}",
                "transport": {
                    "pubsub": {
                        "subscription": f"projects/{self.pid()}/subscriptions/{sub}",
                        "topic": self.full_topic(topic),
                    }
                },
            }
            fn = {
                "name": f"projects/{self.pid()}/locations/{region}/functions/{name}",
                "environment": "GEN_2",
                "labels": {"deployment-tool": "cli-gcloud"},
                "eventTrigger": {
                    "trigger": f"projects/{self.pid()}/locations/{region}/triggers/{trig_id}",
                    "triggerRegion": region,
                },
                "serviceConfig": {"service": f"projects/{self.pid()}/locations/{region}/services/{name}"},
                "buildConfig": {},
            }
            fns[name] = fn
        fn["state"] = "ACTIVE"
        fn["buildConfig"].update({"runtime": f["runtime"], "entryPoint": f["entry-point"], "source": str(src)})
        fn["serviceConfig"].update(
            {
                "availableMemory": f["memory"],
                "timeoutSeconds": int(str(f["timeout"]).rstrip("s")),
                "maxInstanceCount": int(f["max-instances"]),
                "serviceAccountEmail": f["service-account"],
                "ingressSettings": {"internal-only": "ALLOW_INTERNAL_ONLY"}.get(f.get("ingress-settings"), "ALLOW_ALL"),
                "environmentVariables": {**env_vars, "LOG_EXECUTION_ID": "true"},
            }
        )
        if secrets:
            fn["serviceConfig"]["secretEnvironmentVariables"] = secrets
        elif f.get("clear-secrets"):
            fn["serviceConfig"].pop("secretEnvironmentVariables", None)
        fn["eventTrigger"].update(
            {
                "eventType": "google.cloud.pubsub.topic.v1.messagePublished",
                "pubsubTopic": self.full_topic(topic),
                "serviceAccountEmail": f["trigger-service-account"],
                "retryPolicy": "RETRY_POLICY_RETRY" if f.get("retry") else "RETRY_POLICY_DO_NOT_RETRY",
            }
        )
        fn["labels"].update(dict(kv.split("=", 1) for kv in str(f.get("update-labels", "")).split(",") if kv))
        return fn

    def run_jobs(self, verb: str, pos: list[str], f: dict[str, Any]) -> Any:
        """Cloud Run jobs as `gcloud run jobs describe --format=json` prints them: the v1 (Knative) Job."""
        jobs, name = self.s["run_jobs"], pos[0]
        if verb != "deploy":
            if name not in jobs:
                raise not_found("gcloud.run.jobs", f"Job [{name}] could not be found")
            if verb == "describe":
                return jobs[name]
            del jobs[name]
            return None
        # deploy: the source must be a folder the buildpacks can build and start (a Procfile, the lock).
        src = Path(f["source"])
        if not all((src / n).is_file() for n in ("main.py", "requirements.txt", "Procfile")):
            raise Fail(f"ERROR: (gcloud.run.jobs.deploy) source {src} lacks main.py, requirements.txt or Procfile")
        if f["service-account"] not in self.s["service_accounts"]:
            raise Fail(f"ERROR: (gcloud.run.jobs.deploy) service account {f['service-account']} does not exist")
        region = f["region"]
        env = [{"name": k, "value": v} for k, v in (kv.split("=", 1) for kv in f["set-env-vars"].split(","))]
        old = jobs.get(name) or {"metadata": {"labels": {}}}
        image = f"{region}-docker.pkg.dev/{self.pid()}/cloud-run-source-deploy/{name}"
        jobs[name] = {
            "apiVersion": "run.googleapis.com/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": self.project["projectNumber"],
                "labels": {
                    **old["metadata"]["labels"],
                    "cloud.googleapis.com/location": region,
                    **dict(kv.split("=", 1) for kv in f["labels"].split(",")),
                },
            },
            "spec": {
                "template": {
                    "spec": {
                        "taskCount": int(f.get("tasks", 1)),
                        "template": {
                            "spec": {
                                "containers": [
                                    {
                                        "image": image,
                                        "env": env,
                                        "resources": {"limits": {"cpu": f.get("cpu", "1000m"), "memory": f["memory"]}},
                                    }
                                ],
                                "maxRetries": int(f.get("max-retries", 3)),
                                "timeoutSeconds": str(_seconds(f.get("task-timeout", "600s"))[:-1]),
                                "serviceAccountName": f["service-account"],
                            }
                        },
                    }
                }
            },
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
        return jobs[name]

    def jobs(self, path: str, pos: list[str], f: dict[str, Any]) -> Any:
        jobs = self.s["jobs"]
        name = pos[0]
        if "topic" in f and not f["topic"].startswith("projects/"):
            # What the real gcloud 528 does with a bare topic id and only --project.
            raise Fail(
                "ERROR: (gcloud) value for field [projectsId] in collection [pubsub.projects.topics] "
                "is required but was not provided"
            )
        if path == "scheduler jobs create pubsub":
            if name in jobs:
                raise Fail("ERROR: ALREADY_EXISTS: Job already exists")
            jobs[name] = {
                "name": f"projects/{self.pid()}/locations/{f['location']}/jobs/{name}",
                "schedule": f["schedule"],
                "timeZone": f.get("time-zone", "Etc/UTC"),
                "pubsubTarget": {
                    "topicName": f["topic"],
                    "data": base64.b64encode(f["message-body"].encode()).decode(),
                },
                "description": f.get("description", ""),
                "state": "ENABLED",
            }
            return jobs[name]
        if name not in jobs:
            raise not_found("gcloud.scheduler.jobs", "Job")
        job = jobs[name]
        if path == "scheduler jobs describe":
            return job
        if path == "scheduler jobs delete":
            del jobs[name]
            return None
        for flag, key in (("schedule", "schedule"), ("time-zone", "timeZone"), ("description", "description")):
            if flag in f:
                job[key] = f[flag]
        if "topic" in f:
            job["pubsubTarget"]["topicName"] = f["topic"]
        if "message-body" in f:
            job["pubsubTarget"]["data"] = base64.b64encode(f["message-body"].encode()).decode()
        return job

    # -- bq
    def bq(self, args: list[str]) -> Any:
        i = 0
        glob: dict[str, Any] = {}
        while i < len(args) and args[i].startswith("-"):
            glob.update(parse([args[i]])[1])
            i += 1
        command = args[i]
        pos, f = parse(args[i + 1 :])
        if glob.get("project_id") != self.pid():
            raise Fail("BigQuery error: wrong project")
        if command == "query":
            return self.grant(pos[0])
        if command in ("get-iam-policy", "add-iam-policy-binding"):
            m = re.fullmatch(r"([^:]+):([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)", pos[0])
            if not f.get("t") or not m or m.group(1) != self.pid():
                raise Fail(f"BigQuery error: bad table reference {pos[0]}")
            key = f"{m.group(2)}.{m.group(3)}"
            if key not in self.s["tables"]:
                raise Fail(f"BigQuery error in {command} operation: Not found: Table {pos[0]}")
            if command == "get-iam-policy":
                return self.policy(f"table:{key}")
            return self.add_binding(f"table:{key}", f["member"], f["role"])
        ref = pos[0]
        m = re.fullmatch(r"([^:]+):([A-Za-z0-9_]+)(?:\.([A-Za-z0-9_]+))?", ref)
        if not m or m.group(1) != self.pid():
            raise Fail(f"BigQuery error: bad reference {ref}")
        ds, table = m.group(2), m.group(3)
        datasets, tables = self.s["datasets"], self.s["tables"]
        key = f"{ds}.{table}"
        if command == "rm":
            if ds not in datasets:
                raise Fail(f"BigQuery error in rm operation: Not found: Dataset {self.pid()}:{ds}")
            del datasets[ds]
            for k in [k for k in tables if k.startswith(ds + ".")]:
                del tables[k]
                self.s["iam"].pop(f"table:{k}", None)
            return None
        if command == "mk" and f.get("dataset"):
            if ds in datasets:
                raise Fail(f"BigQuery error in mk operation: Dataset '{self.pid()}:{ds}' already exists.")
            datasets[ds] = {
                "kind": "bigquery#dataset",
                "datasetReference": {"projectId": self.pid(), "datasetId": ds},
                "location": glob.get("location", "US"),
                "description": f.get("description", ""),
                "access": [
                    {"role": "OWNER", "specialGroup": "projectOwners"},
                    {"role": "WRITER", "specialGroup": "projectWriters"},
                ],
            }
            return None
        if ds not in datasets:
            raise Fail(f"BigQuery error in {command} operation: Not found: Dataset {self.pid()}:{ds}")
        if table is None:
            if command == "show":
                return datasets[ds]
            if command == "update" and "description" in f:
                datasets[ds]["description"] = f["description"]
                return None
            raise Fail(f"fakecloud: unhandled bq {command} on a dataset", 3)
        if command == "mk" and "view" in f:
            if key in tables:
                raise Fail(f"BigQuery error in mk operation: Table '{self.pid()}:{key}' already exists.")
            tables[key] = {
                "kind": "bigquery#table",
                "type": "VIEW",
                "tableReference": {"projectId": self.pid(), "datasetId": ds, "tableId": table},
                "view": {"query": f["view"], "useLegacySql": f.get("use_legacy_sql") != "false"},
                "description": f.get("description", ""),
            }
            return None
        if command == "mk":
            if key in tables:
                raise Fail(f"BigQuery error in mk operation: Table '{self.pid()}:{key}' already exists.")
            tables[key] = {
                "kind": "bigquery#table",
                "tableReference": {"projectId": self.pid(), "datasetId": ds, "tableId": table},
                "schema": {"fields": _legacy(json.loads(Path(f["schema"]).read_text()))},
                "timePartitioning": {"type": f["time_partitioning_type"], "field": f["time_partitioning_field"]},
                "description": f.get("description", ""),
            }
            if "time_partitioning_expiration" in f:
                ms = int(f["time_partitioning_expiration"]) * 1000
                tables[key]["timePartitioning"]["expirationMs"] = str(ms)
            if f.get("clustering_fields"):
                tables[key]["clustering"] = {"fields": f["clustering_fields"].split(",")}
            return None
        if key not in tables:
            raise Fail(f"BigQuery error in {command} operation: Not found: Table {self.pid()}:{key}")
        t = tables[key]
        if command == "show":
            return t
        if command == "update" and "view" in f:
            if "view" not in t:
                raise Fail(f"BigQuery error in update operation: {self.pid()}:{key} is not a view")
            t["view"] = {"query": f["view"], "useLegacySql": f.get("use_legacy_sql") != "false"}
            if "description" in f:
                t["description"] = f["description"]
            return None
        if command == "update":
            if "schema" in f:
                t["schema"] = {"fields": _legacy(json.loads(Path(f["schema"]).read_text()))}
            if "time_partitioning_expiration" in f:
                t["timePartitioning"]["expirationMs"] = str(int(f["time_partitioning_expiration"]) * 1000)
            if "clustering_fields" in f:
                t["clustering"] = {"fields": f["clustering_fields"].split(",")}
            if "description" in f:
                t["description"] = f["description"]
            return None
        raise Fail(f"fakecloud: unhandled bq {command}", 3)

    def grant(self, sql: str) -> Any:
        r = re.fullmatch(r'REVOKE `([^`]+)` ON SCHEMA `([^.`]+)\.([^`]+)` FROM "serviceAccount:([^"]+)"', sql)
        if r:
            ds = self.s["datasets"].get(r.group(3))
            if ds is None or r.group(2) != self.pid():
                raise Fail(f"BigQuery error in query operation: Not found: Dataset {r.group(2)}:{r.group(3)}")
            role = _DATASET_ROLES.get(r.group(1), r.group(1))
            drop = {"role": role, "userByEmail": r.group(4)}
            ds["access"] = [a for a in ds["access"] if {k: a.get(k) for k in drop} != drop]
            return None
        m = re.fullmatch(r"GRANT `([^`]+)` ON SCHEMA `([^.`]+)\.([^`]+)` TO (.+)", sql)
        if not m or m.group(2) != self.pid():
            raise Fail(f"BigQuery error in query operation: Syntax error in {sql!r}")
        ds = self.s["datasets"].get(m.group(3))
        if ds is None:
            raise Fail(f"BigQuery error in query operation: Not found: Dataset {m.group(2)}:{m.group(3)}")
        for member in re.findall(r'"serviceAccount:([^"]+)"', m.group(4)):
            entry = {"role": _DATASET_ROLES.get(m.group(1), m.group(1)), "userByEmail": member}
            if entry not in ds["access"]:
                ds["access"].append(entry)
        return None


def _legacy(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        g = {"name": f["name"], "type": _LEGACY_TYPES.get(f["type"], f["type"]), "mode": f.get("mode", "NULLABLE")}
        if f.get("fields"):
            g["fields"] = _legacy(f["fields"])
        out.append(g)
    return out


def _drop_defaults(value: Any) -> Any:
    """Proto3 JSON leaves default values out of the API's answers (0, "0s", false, empty)."""
    if isinstance(value, dict):
        return {k: _drop_defaults(v) for k, v in value.items() if v not in (0, "0s", False, "", [], {})}
    if isinstance(value, list):
        return [_drop_defaults(v) for v in value]
    return value


def _seconds(duration: str) -> str:
    mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration[-1]]
    return f"{int(duration[:-1]) * mult}s"


def main(argv: list[str]) -> int:
    tool, args = argv[0], argv[1:]
    with open(os.environ["FAKECLOUD_LOG"], "a") as log:
        log.write(json.dumps([tool, *args]) + "\n")
    state_path = Path(os.environ["FAKECLOUD_STATE"])
    state = json.loads(state_path.read_text())
    cloud = Cloud(state)
    try:
        if tool == "bq":
            path = "bq"
            result = cloud.bq(args)
        else:
            words = [a for a in args if not a.startswith("-")]
            path = next(
                (c for c in sorted(GCLOUD_COMMANDS, key=len, reverse=True) if words[: len(c.split())] == c.split()), ""
            )
            if not path:
                raise Fail(f"fakecloud: unknown gcloud command {' '.join(words[:4])}", 3)
            pos, flags = parse(args[len(path.split()) :])
            if path in state.get("errors", {}):
                raise Fail(state["errors"][path])
            result = cloud.gcloud(path, pos, flags)
    except Fail as exc:
        sys.stderr.write(str(exc) + "\n")
        return exc.code
    state_path.write_text(json.dumps(state, indent=1))
    if result is not None and (tool == "bq" or "format" in parse(args)[1]):
        sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
