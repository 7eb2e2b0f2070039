"""The lean COPY floor for `seed_db`'s volume mode, with seed_db measured beside it.

    .venv/bin/python bench/seed.py --users 5000 --posts-per-user 50 --follows-per-user 20

PostgreSQL on the server of DATABASE_URL (default postgres@127.0.0.1:5432), in a throwaway database,
`microblog_seed_bench`, made anew before each run from a template (`microblog_seed_bench_template`:
migrated, reference organization loaded); both are dropped at the end. Each repetition runs, in turns
(the order alternates):

- **lean**: the rows generated in plain Python (the people with every column seed_db writes, the same
  defaults; posts; follows; comparable values drawn with `random` from pools), written with psycopg's
  COPY into the same tables (same indexes, checks and deferred foreign keys) in one transaction. Timed
  from the first query to the end of the commit.
- **seed_db**: `manage.py seed_db --users … --verbosity 0` in a subprocess. Timed from the call of
  `accounts.seeding.volume_generate` to the end of the command's commit (an on_commit hook), each table's
  write inside it too; the whole process (interpreter and Django start included) is reported beside it.

Rows/s of each, their ratio (seed_db / lean), per table; the median of the repetitions. Written to
bench/results/seed.json and printed.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TABLES = {"User": "accounts_user", "Post": "posts_post", "Follow": "accounts_follow"}
YEAR = 365 * 24 * 3600
WORDS = ["clinic", "rounds", "moved", "to", "friday", "new", "slit", "lamp", "in", "the", "outpatient", "block"]
WORDS += ["reminder", "submit", "monthly", "audit", "glaucoma", "retina", "cornea", "cataract", "surgery", "theatre"]
WORDS += ["list", "patients", "seminar", "journal", "club", "residents", "nurses", "schedule", "changed", "review"]


# --- the lean floor ---------------------------------------------------------------------------------------


def lean(url: str, users: int, posts_per_user: int, follows_per_user: int, person_defaults: dict) -> dict:
    """Generate and COPY the rows in one transaction; seconds per table, the commit and in all."""
    rng = random.Random(0)
    choice, randrange = rng.choice, rng.randrange
    seconds = {}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        units = cur.execute("SELECT id, department_id FROM organization_unit").fetchall() or [(None, None)]
        designations = [pk for (pk,) in cur.execute("SELECT id FROM organization_designation")] or [None]
        names = [f"{choice(WORDS).title()} {choice(WORDS).title()}" for _ in range(1000)]
        abouts = [sentence(rng, 40, 140) for _ in range(200)]
        bodies = [sentence(rng, 40, 140) for _ in range(1000)]
        password = "!" + "x" * 40  # an unusable password, as seed_db writes without one
        now = datetime.now(UTC)
        mark = time.perf_counter()
        ids = [pk for (pk,) in cur.execute(RESERVE_IDS, [users])]
        rest = tuple(person_defaults.values())
        columns = ["id", "username", "email", "full_name", "about_me", "password", "unit_id", "department_id"]
        columns += ["designation_id", "date_joined", *person_defaults]
        with cur.copy(copy_sql("accounts_user", columns)) as copy:
            for n, pk in enumerate(ids, 1):
                name = f"person{n}"
                unit, department = choice(units)
                row = (pk, name, f"{name}@example.org", choice(names), choice(abouts), password, unit, department)
                copy.write_row((*row, choice(designations), now, *rest))
        seconds["User"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with cur.copy(copy_sql("posts_post", ["body", "timestamp", "author_id"])) as copy:
            for author in ids:
                for _ in range(posts_per_user):
                    copy.write_row((choice(bodies), now - timedelta(seconds=randrange(YEAR)), author))
        seconds["Post"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with cur.copy(copy_sql("accounts_follow", ["follower_id", "followed_id", "created_at"])) as copy:
            for follower in ids:
                picks = [f for f in rng.sample(ids, follows_per_user + 1) if f != follower]
                for followed in picks[:follows_per_user]:
                    copy.write_row((follower, followed, now))
        seconds["Follow"] = time.perf_counter() - mark
        mark = time.perf_counter()
        conn.commit()
        seconds["commit"] = time.perf_counter() - mark
        seconds["total"] = time.perf_counter() - started
    return seconds


RESERVE_IDS = "SELECT nextval(pg_get_serial_sequence('accounts_user', 'id')) FROM generate_series(1, %s)"


def copy_sql(table: str, columns: list[str]) -> sql.Composed:
    return sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )


def sentence(rng: random.Random, shortest: int, longest: int) -> str:
    length, words = rng.randint(shortest, longest), []
    while sum(len(w) + 1 for w in words) < length:
        words.append(rng.choice(WORDS))
    return " ".join(words)[:longest].capitalize()


# --- seed_db, in a child process ------------------------------------------------------------------------


def seed_db_child(argv: list[str]) -> None:
    """Run `manage.py seed_db ARGV` with timers around volume_generate and each table's write; print them."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line
    from django.db import transaction

    from accounts import seeding

    seconds = {}
    generate, write = seeding.volume_generate, seeding._write

    def timed_generate(**kwargs):
        started = time.perf_counter()
        result = generate(**kwargs)
        ended = time.perf_counter()

        def committed():
            seconds["commit"] = time.perf_counter() - ended
            seconds["total"] = time.perf_counter() - started

        transaction.on_commit(committed)  # the command's transaction: runs right after its COMMIT
        return result

    def timed_write(model, *args, **kwargs):
        started = time.perf_counter()
        result = write(model, *args, **kwargs)
        seconds[model.__name__] = time.perf_counter() - started
        return result

    seeding.volume_generate, seeding._write = timed_generate, timed_write
    execute_from_command_line(["manage.py", "seed_db", *argv])
    print(json.dumps(seconds))


def seed_db(url: str, argv: list[str]) -> dict:
    env = {**os.environ, "DATABASE_URL": url}
    started = time.perf_counter()
    result = subprocess.run(
        [PYTHON, __file__, "--seed-db-child", *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    process = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"seed_db failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1]) | {"process": process}


# --- the run ----------------------------------------------------------------------------------------------


def database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    return urlunsplit(urlsplit(base)._replace(path=f"/{name}"))


def recreate(admin: psycopg.Connection, name: str, template: str | None = None) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    admin.execute(create)


def manage(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=600)


def person_defaults(url: str) -> dict:
    """The columns of a person seed_db leaves to their defaults, with those defaults (from the model)."""
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    from accounts.models import User
    from accounts.seeding import USER_FIELDS

    given = {User._meta.get_field(name).column for name in USER_FIELDS}
    return {
        f.column: f.get_default() for f in User._meta.concrete_fields if not f.primary_key and f.column not in given
    }


def table_counts(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return {
            model: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for model, table in TABLES.items()
        }


def main() -> None:
    if sys.argv[1:2] == ["--seed-db-child"]:
        return seed_db_child(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--posts-per-user", type=int, default=50)
    parser.add_argument("--follows-per-user", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default="microblog_seed_bench", help="The throwaway database (and DB_template).")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "seed.json"))
    args = parser.parse_args()
    sizes = (args.users, args.posts_per_user, args.follows_per_user)
    rows = {"User": args.users, "Post": args.users * args.posts_per_user, "Follow": args.users * args.follows_per_user}
    rows["total"] = sum(rows.values())
    url, template = database_url(args.db), f"{args.db}_template"
    argv = [f"--users={sizes[0]}", f"--posts-per-user={sizes[1]}", f"--follows-per-user={sizes[2]}", "--verbosity=0"]

    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        print(f"template {template}: migrate, reference organization", file=sys.stderr)
        recreate(admin, template)
        manage(database_url(template), "migrate", "--noinput", "-v0")
        load = "from organization.services import reference_organization_load as load; load()"
        manage(database_url(template), "shell", "-v0", "-c", load)
        defaults = person_defaults(database_url(template))
        runs = []
        try:
            for n in range(args.repeat):
                run = {}
                for kind in ("lean", "seed_db") if n % 2 == 0 else ("seed_db", "lean"):
                    recreate(admin, args.db, template)
                    admin.execute("CHECKPOINT")
                    if kind == "lean":
                        run[kind] = lean(url, *sizes, defaults)
                    else:
                        run[kind] = seed_db(url, argv)
                    if (counts := table_counts(url)) != {k: v for k, v in rows.items() if k != "total"}:
                        raise SystemExit(f"{kind} wrote {counts}, expected {rows}")
                    print(f"run {n + 1} {kind}: {run[kind]['total']:.2f} s", file=sys.stderr)
                runs.append(run)
        finally:
            for name in (args.db, template):
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    median = {
        kind: {part: statistics.median(r[kind][part] for r in runs) for part in runs[0][kind]} for kind in runs[0]
    }
    table = []
    for part in [*TABLES, "total"]:
        lean_rate, seed_rate = rows[part] / median["lean"][part], rows[part] / median["seed_db"][part]
        table.append({"part": part, "rows": rows[part], "lean_rows_per_s": round(lean_rate)})
        table[-1] |= {"seed_db_rows_per_s": round(seed_rate), "ratio": round(seed_rate / lean_rate, 3)}
    process_rate = rows["total"] / median["seed_db"]["process"]
    results = {
        "config": {"users": sizes[0], "posts_per_user": sizes[1], "follows_per_user": sizes[2], "repeat": args.repeat},
        "timed": "lean: first query to end of COMMIT; seed_db: volume_generate call to end of COMMIT (on_commit "
        "hook), per table its _write call (rows generated inside it); total includes setup and the commit",
        "median_seconds": {kind: {k: round(v, 3) for k, v in parts.items()} for kind, parts in median.items()},
        "table": table,
        "ratio": table[-1]["ratio"],
        "seed_db_whole_process_rows_per_s": round(process_rate),
        "runs": [{kind: {k: round(v, 3) for k, v in parts.items()} for kind, parts in r.items()} for r in runs],
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
    }
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'':8} {'rows':>9} {'lean rows/s':>12} {'seed_db rows/s':>15} {'ratio':>6}")
    for row in table:
        print(
            f"{row['part']:8} {row['rows']:>9,} {row['lean_rows_per_s']:>12,} {row['seed_db_rows_per_s']:>15,} "
            f"{row['ratio']:>6.2f}"
        )
    print(f"seed_db whole process (start included): {process_rate:,.0f} rows/s; median of {args.repeat}")
    print(f"commit: lean {median['lean']['commit']:.2f} s, seed_db {median['seed_db']['commit']:.2f} s")


if __name__ == "__main__":
    main()
