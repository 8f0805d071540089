"""What each function may touch in BigQuery and Cloud Storage: one table, read from the code, granted narrowly.

Why a table here and not roles in settings.yaml: the grants must follow the code (a role that starts writing a
new table or prefix needs a grant, one that stops should lose it), so tests/deploy/test_iam.py scans each
role's modules for the tables it writes or reads and the `shared.bucket_layout` prefixes it names, and fails
when this table disagrees. The prefixes come from `shared.bucket_layout.PREFIXES` by kind, never copied.

Cloud Storage, per function (uniform bucket-level access, which IAM Conditions require, is set on the bucket):
- `reads_bucket`: roles/storage.objectViewer on the bucket (read and list any object; it writes nothing).
- `creates_data`: roles/storage.objectCreator on the bucket: create raw files, never delete or overwrite them
  (an overwrite needs storage.objects.delete, which objectCreator lacks): only the scrapers' code writes them.
- `cas`: roles/storage.objectUser under those `_nba-orch/` prefixes only (an IAM condition on the object
  name): claims that are compare-and-swapped, marked, released or deleted (shared/claims.py).
- `creates`: `_nba-orch/` prefixes the role only creates (create-only records); covered by objectCreator when
  `creates_data`, otherwise roles/storage.objectCreator under those prefixes.
- `reads`: prefixes it only reads (covered by objectViewer).
- `lists_own`: it lists its own prefix without objectViewer; a list is checked against the bucket, not an
  object, so its objectUser condition also admits the bucket itself (names and metadata, not contents).
- Without `reads_bucket`, what it creates or reads (`creates`, `reads_prefixes`, `reads_data`: raw-data
  prefixes such as the schedule files) is readable through roles/storage.objectViewer conditioned on those
  prefixes, for objects by name and for listings by the listed prefix (`objectListPrefix`): the backfill job.

The backfill Cloud Run Job (jobs/backfill/) is not a function: its entry is `JOB_ACCESS`, the same shape.

BigQuery: roles/bigquery.dataEditor on each table it writes (streaming insert, MERGE, DELETE), dataViewer on
each table it only reads; queries run as jobs, hence roles/bigquery.jobUser on the project (settings.yaml).
Only a real project can show that these grants suffice (the emulators check no permission); see
docs/deploy.md "Least privilege".
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.bucket_layout import PREFIXES
from shared.nba.schedule_store import SCHEDULE_PREFIX

SCHEDULE_FILES = SCHEDULE_PREFIX.split("{", 1)[0]  # "nba-com/schedule/": every season's schedule files

OBJECT_VIEWER = "roles/storage.objectViewer"
OBJECT_CREATOR = "roles/storage.objectCreator"
OBJECT_USER = "roles/storage.objectUser"
DATA_EDITOR = "roles/bigquery.dataEditor"
DATA_VIEWER = "roles/bigquery.dataViewer"
SUBSCRIBER = "roles/pubsub.subscriber"


@dataclass(frozen=True)
class Access:
    handler: str  # the role's module (functions/<key>/main.py HANDLER), where the scan starts
    writes: tuple[str, ...] = ()  # BigQuery tables (shared.bq_schema.TABLES)
    reads: tuple[str, ...] = ()
    reads_bucket: bool = False
    creates_data: bool = False
    cas: tuple[str, ...] = ()  # shared.bucket_layout kinds
    creates: tuple[str, ...] = ()
    reads_prefixes: tuple[str, ...] = ()
    lists_own: bool = False
    peeks_dead_letters: bool = False  # roles/pubsub.subscriber on the dead-letter pull subscription
    reads_data: tuple[str, ...] = ()  # raw-data prefixes (not `_nba-orch/`) read without `reads_bucket`


# Keyed by function key (functions/<key>/). The locker runs the schedule scraper in-process
# (shared.locker.service.scrape_schedule), so it needs what a scraper run writes.
ACCESS: dict[str, Access] = {
    "schedule_locker": Access(
        handler="shared.locker.service",
        writes=("daily_expected_schedule", "scraper_execution_log"),
        reads_bucket=True,
        creates_data=True,
        # slowdown/slots: the in-process scraper runs keep the sources' limits with every other caller
        cas=("schedule_locks", "scraper_requests", "shapes", "slowdown"),
        creates=("runs", "quarantine", "slots"),
    ),
    "master_controller": Access(
        handler="shared.controller.service",
        writes=("workflow_decisions", "alerts"),
        reads_bucket=True,
        cas=("controller_slots", "alerts"),
        creates=("ticks",),
        reads_prefixes=("runs", "quality"),  # quality: the cross-source SLA reads the comparison markers
        # no peeks_dead_letters: only cleanup's ticks judge the backlog (shared.alerts.service DEAD_LETTER_ROLES)
    ),
    "cleanup": Access(
        handler="shared.cleanup.service",
        # source_comparisons + quality markers: the night's cross-source comparison (shared/quality)
        writes=("scraper_execution_log", "cleanup_operations", "alerts", "source_comparisons"),
        reads_bucket=True,
        cas=("cleanup_runs", "alerts"),
        creates=("ticks", "quality"),
        reads_prefixes=("runs",),
        peeks_dead_letters=True,
    ),
    "scrapers": Access(
        handler="shared.scrapers.service",
        writes=("scraper_execution_log",),
        reads_bucket=True,
        creates_data=True,
        # injury_status: each injury report's statuses, rewritten by a second run of the same report
        # slowdown: a source's 429 Retry-After for every instance, compare-and-swapped (shared.scrapers.ratelimit)
        cas=("scraper_requests", "shapes", "injury_status", "slowdown"),
        # slots: one create-only object per call of a rate-limited source (deleted by the lifecycle rule)
        creates=("runs", "quarantine", "slots"),
    ),
    "notifier": Access(handler="shared.notifier.service", cas=("notifier",), lists_own=True),
}


# The Cloud Run Jobs, keyed by folder under jobs/. The backfill reads the schedule files (shared.nba.schedule_store,
# the season's newest one) and the run ledger (what is done), creates its manifest and published markers
# (create-only) and publishes scraper requests (settings.yaml): it never writes raw data or BigQuery.
JOB_ACCESS: dict[str, Access] = {
    "backfill": Access(
        handler="shared.backfill.job",
        creates=("backfill",),
        reads_prefixes=("runs",),
        reads_data=(SCHEDULE_FILES,),
    ),
}


def access(key: str) -> Access:
    """The entry of a function key, else of a job key."""
    return ACCESS[key] if key in ACCESS else JOB_ACCESS[key]


def object_prefix(bucket: str, kind: str) -> str:
    """The IAM resource name of the objects under one `_nba-orch/` prefix."""
    return f"projects/_/buckets/{bucket}/objects/{PREFIXES[kind]}"


def prefix_condition(
    bucket: str, kinds: tuple[str, ...], with_bucket: bool = False, data: tuple[str, ...] = (), lists: bool = False
) -> str:
    """A CEL expression true for objects under any of the prefixes (`kinds` of bucket_layout, raw `data`
    prefixes), the bucket itself when it lists its own (`with_bucket`), and with `lists` the listings of
    exactly those prefixes (a list request names the bucket; the listed prefix is an API attribute)."""
    prefixes = [PREFIXES[k] for k in kinds] + list(data)
    parts = [f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{p}")' for p in prefixes]
    if lists:
        parts += [
            f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{p}")' for p in prefixes
        ]
    if with_bucket:
        parts.insert(0, 'resource.type == "storage.googleapis.com/Bucket"')
    return " || ".join(parts)


@dataclass(frozen=True)
class BucketGrant:
    role: str
    condition: dict[str, str] | None = None  # {"title", "description", "expression"}


def bucket_grants(function_key: str, bucket: str) -> list[BucketGrant]:
    """The bucket-policy bindings one function's (or job's) service account needs."""
    a = access(function_key)
    out: list[BucketGrant] = []
    if a.reads_bucket:
        out.append(BucketGrant(OBJECT_VIEWER))
    elif a.creates or a.reads_prefixes or a.reads_data:
        kinds = tuple(dict.fromkeys((*a.creates, *a.reads_prefixes)))
        out.append(
            BucketGrant(
                OBJECT_VIEWER,
                {
                    "title": f"nba-orch {function_key} reads",
                    "description": "read and list under " + " ".join([PREFIXES[k] for k in kinds] + list(a.reads_data)),
                    "expression": prefix_condition(bucket, kinds, data=a.reads_data, lists=True),
                },
            )
        )
    if a.creates_data:
        out.append(BucketGrant(OBJECT_CREATOR))
    if a.cas:
        out.append(
            BucketGrant(
                OBJECT_USER,
                {
                    "title": f"nba-orch {function_key} claims",
                    "description": "read, compare-and-swap and delete under " + " ".join(PREFIXES[k] for k in a.cas),
                    "expression": prefix_condition(bucket, a.cas, with_bucket=a.lists_own),
                },
            )
        )
    if a.creates and not a.creates_data:
        out.append(
            BucketGrant(
                OBJECT_CREATOR,
                {
                    "title": f"nba-orch {function_key} records",
                    "description": "create-only under " + " ".join(PREFIXES[k] for k in a.creates),
                    "expression": prefix_condition(bucket, a.creates),
                },
            )
        )
    return out


def table_roles(function_key: str) -> dict[str, str]:
    """table -> the role one function's (or job's) service account needs on it."""
    a = access(function_key)
    out = {t: DATA_VIEWER for t in a.reads}
    out.update({t: DATA_EDITOR for t in a.writes})
    return out


# Grants earlier versions of deploy made on the whole dataset and bucket: revoked from our accounts on update.
LEGACY_DATASET_ROLES = (DATA_EDITOR,)
LEGACY_BUCKET_ROLES = (OBJECT_USER,)
