"""How long `manage.py import_flask microblog` takes for a database of 100,000 posts, and its re-run.

    .venv/bin/python bench/import_flask.py [--users 2000 --posts 100000 --follows 20000 --messages 5000]

Builds a microblog source in SQLite (the tables as Flask-SQLAlchemy makes them, one Werkzeug pbkdf2 hash for
everyone), then imports it into a fresh SQLite database and into a throwaway PostgreSQL database (on the
server of DATABASE_URL, default postgres@127.0.0.1:5432, made and dropped here), twice each: the first run
writes everything, the second must write nothing. Times are the whole command process (Django's start
included). Target (issue #19): 100,000 posts in under a minute on both. Written to
bench/results/import_flask.json and printed.
"""

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The microblog's tables as Flask-SQLAlchemy creates them on SQLite (app/models.py, current version).
DDL = """
CREATE TABLE user (id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(64) NOT NULL, email VARCHAR(120) NOT NULL,
  password_hash VARCHAR(256), about_me VARCHAR(140), last_seen DATETIME, last_message_read_time DATETIME,
  token VARCHAR(32), token_expiration DATETIME);
CREATE UNIQUE INDEX ix_user_username ON user (username);
CREATE UNIQUE INDEX ix_user_email ON user (email);
CREATE TABLE post (id INTEGER NOT NULL PRIMARY KEY, body VARCHAR(140) NOT NULL, timestamp DATETIME NOT NULL,
  user_id INTEGER NOT NULL REFERENCES user (id), language VARCHAR(5));
CREATE INDEX ix_post_timestamp ON post (timestamp);
CREATE TABLE followers (follower_id INTEGER NOT NULL REFERENCES user (id),
  followed_id INTEGER NOT NULL REFERENCES user (id), PRIMARY KEY (follower_id, followed_id));
CREATE TABLE message (id INTEGER NOT NULL PRIMARY KEY, sender_id INTEGER NOT NULL REFERENCES user (id),
  recipient_id INTEGER NOT NULL REFERENCES user (id), body VARCHAR(140) NOT NULL, timestamp DATETIME NOT NULL);
"""
# werkzeug.security.generate_password_hash("cat", "pbkdf2:sha256:1000"): the bench needs no werkzeug
PASSWORD_HASH = "pbkdf2:sha256:1000$GBunPqwSiYefJyM6$f0d79ed6067c51bf54bb2302cf0a2595053435d5310f0054ef5b9214383d2cf2"


def build_source(path: Path, users: int, posts: int, follows: int, messages: int) -> None:
    rng = random.Random(0)
    with sqlite3.connect(path) as db:
        db.executescript(DDL)
        db.executemany(
            "INSERT INTO user VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL)",
            (
                (i, f"user{i}", f"user{i}@example.com", PASSWORD_HASH, "About me", "2024-01-02 03:04:05.000000")
                for i in range(1, users + 1)
            ),
        )
        db.executemany(
            "INSERT INTO post VALUES (?, ?, ?, ?, 'en')",
            (
                (
                    i,
                    f"Post {i}: " + " ".join(rng.choices(["rounds", "clinic", "friday", "lamp"], k=8)),
                    f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00.{i % 1_000_000:06d}",
                    1 + i % users,
                )
                for i in range(1, posts + 1)
            ),
        )
        pairs = set()
        while len(pairs) < follows:
            a, b = rng.randint(1, users), rng.randint(1, users)
            if a != b:
                pairs.add((a, b))
        db.executemany("INSERT INTO followers VALUES (?, ?)", sorted(pairs))
        db.executemany(
            "INSERT INTO message VALUES (?, ?, ?, 'Hello', '2024-05-05 10:00:00.000000')",
            ((i, 1 + i % users, 1 + (i * 7) % users) for i in range(1, messages + 1)),
        )


def manage(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=900, capture_output=True, text=True
    )


def timed_import(target: str, source: str) -> dict:
    started = time.perf_counter()
    result = manage(target, "import_flask", "microblog", source, "--verbosity", "1")
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "said": result.stdout.strip().splitlines()[-1]}


def postgres_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--follows", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--db", default="microblog_import_bench", help="The throwaway PostgreSQL database.")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "import_flask.json"))
    args = parser.parse_args()
    results = {"config": vars(args) | {"out": None}}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "microblog.db"
        build_source(source, args.users, args.posts, args.follows, args.messages)
        source_url = f"sqlite:///{source}"
        targets = {"sqlite": f"sqlite:///{Path(folder) / 'target.db'}", "postgresql": postgres_url(args.db)}
        with psycopg.connect(postgres_url("postgres"), autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(args.db))
            admin.execute(drop)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(args.db)))
            try:
                for engine, target in targets.items():
                    manage(target, "migrate", "--noinput", "-v0")
                    first, again = timed_import(target, source_url), timed_import(target, source_url)
                    if not again["said"].startswith("Nothing to change"):
                        raise SystemExit(f"{engine}: the re-run wrote something: {again['said']}")
                    results[engine] = {"first": first, "again": again}
                    print(f"{engine}: {first['seconds']} s, again {again['seconds']} s", file=sys.stderr)
            finally:
                admin.execute(drop)
    results["machine"] = {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
