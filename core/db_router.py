"""Reads to the replica, writes to the primary (used only when DATABASE_REPLICA_URL is set)."""

from django.db import connections

PRIMARY, REPLICA = "default", "replica"


class PrimaryReplicaRouter:
    """Send reads to the replica, except inside a transaction on the primary (read your own writes)."""

    def db_for_read(self, model, **hints):
        return PRIMARY if connections[PRIMARY].in_atomic_block else REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica gets its schema by replication
