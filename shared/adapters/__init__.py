"""Thin I/O adapters for BigQuery, Pub/Sub and GCS: the only modules that talk to the cloud."""
