"""The two Flask apps' databases, as their SQLAlchemy models create them, and builders that fill one.

- microblog (github.com/miguelgrinberg/microblog, app/models.py and migrations/versions/): tables `user`,
  `post`, `followers`, `message`, `notification`, `task` (and Alembic's `alembic_version`), on SQLite and
  PostgreSQL. Timestamps are naive UTC; passwords are Werkzeug hashes.
- staff directory (github.com/drguptavivek/backend, backend/models/user_model.py and
  backend/db_initializer/users.sql): `departments`, `units`, `cadres`, `designations`, `users`, `accounts`
  (plain-text passwords), `roles`, `accounts_roles_table`, `unitHeads`, `departmentHeads`, on SQLite and
  MariaDB/MySQL.

The DDL below is what SQLAlchemy 2.0's `CreateTable`/`CreateIndex` print for those models on each dialect.
Foreign keys are declared everywhere; SQLite does not enforce them, and `dangling_references()` turns the
checks off for a while on the servers (as the staff app's own db_initializer does on MySQL), so that a test
can store a row that points at a missing parent.

A builder writes through a plain DB-API connection (sqlite3, psycopg, MySQLdb) in autocommit mode: what the
tests store is in the source at once, for the command's own connection to read.
"""

import contextlib
import datetime
import sqlite3
import uuid
from urllib.parse import unquote, urlsplit

from werkzeug.security import generate_password_hash

# --- microblog ------------------------------------------------------------------------------------------------

MICROBLOG_DDL = {
    "sqlite": """
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE user (
	id INTEGER NOT NULL,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256),
	about_me VARCHAR(140),
	last_seen DATETIME,
	last_message_read_time DATETIME,
	token VARCHAR(32),
	token_expiration DATETIME,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_email ON user (email);
CREATE UNIQUE INDEX ix_user_token ON user (token);
CREATE UNIQUE INDEX ix_user_username ON user (username);
CREATE TABLE followers (
	follower_id INTEGER NOT NULL,
	followed_id INTEGER NOT NULL,
	PRIMARY KEY (follower_id, followed_id),
	FOREIGN KEY(follower_id) REFERENCES user (id),
	FOREIGN KEY(followed_id) REFERENCES user (id)
);
CREATE TABLE message (
	id INTEGER NOT NULL,
	sender_id INTEGER NOT NULL,
	recipient_id INTEGER NOT NULL,
	body VARCHAR(140) NOT NULL,
	timestamp DATETIME NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(sender_id) REFERENCES user (id),
	FOREIGN KEY(recipient_id) REFERENCES user (id)
);
CREATE INDEX ix_message_recipient_id ON message (recipient_id);
CREATE INDEX ix_message_sender_id ON message (sender_id);
CREATE INDEX ix_message_timestamp ON message (timestamp);
CREATE TABLE notification (
	id INTEGER NOT NULL,
	name VARCHAR(128) NOT NULL,
	user_id INTEGER NOT NULL,
	timestamp FLOAT NOT NULL,
	payload_json TEXT NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES user (id)
);
CREATE INDEX ix_notification_name ON notification (name);
CREATE INDEX ix_notification_timestamp ON notification (timestamp);
CREATE INDEX ix_notification_user_id ON notification (user_id);
CREATE TABLE post (
	id INTEGER NOT NULL,
	body VARCHAR(140) NOT NULL,
	timestamp DATETIME NOT NULL,
	user_id INTEGER NOT NULL,
	language VARCHAR(5),
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES user (id)
);
CREATE INDEX ix_post_timestamp ON post (timestamp);
CREATE INDEX ix_post_user_id ON post (user_id);
CREATE TABLE task (
	id VARCHAR(36) NOT NULL,
	name VARCHAR(128) NOT NULL,
	description VARCHAR(128),
	user_id INTEGER NOT NULL,
	complete BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES user (id)
);
CREATE INDEX ix_task_name ON task (name);
""",
    "postgresql": """
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL,
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
CREATE TABLE "user" (
	id SERIAL NOT NULL,
	username VARCHAR(64) NOT NULL,
	email VARCHAR(120) NOT NULL,
	password_hash VARCHAR(256),
	about_me VARCHAR(140),
	last_seen TIMESTAMP WITHOUT TIME ZONE,
	last_message_read_time TIMESTAMP WITHOUT TIME ZONE,
	token VARCHAR(32),
	token_expiration TIMESTAMP WITHOUT TIME ZONE,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_user_email ON "user" (email);
CREATE UNIQUE INDEX ix_user_token ON "user" (token);
CREATE UNIQUE INDEX ix_user_username ON "user" (username);
CREATE TABLE followers (
	follower_id INTEGER NOT NULL,
	followed_id INTEGER NOT NULL,
	PRIMARY KEY (follower_id, followed_id),
	FOREIGN KEY(follower_id) REFERENCES "user" (id),
	FOREIGN KEY(followed_id) REFERENCES "user" (id)
);
CREATE TABLE message (
	id SERIAL NOT NULL,
	sender_id INTEGER NOT NULL,
	recipient_id INTEGER NOT NULL,
	body VARCHAR(140) NOT NULL,
	timestamp TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(sender_id) REFERENCES "user" (id),
	FOREIGN KEY(recipient_id) REFERENCES "user" (id)
);
CREATE INDEX ix_message_recipient_id ON message (recipient_id);
CREATE INDEX ix_message_sender_id ON message (sender_id);
CREATE INDEX ix_message_timestamp ON message (timestamp);
CREATE TABLE notification (
	id SERIAL NOT NULL,
	name VARCHAR(128) NOT NULL,
	user_id INTEGER NOT NULL,
	timestamp FLOAT NOT NULL,
	payload_json TEXT NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES "user" (id)
);
CREATE INDEX ix_notification_name ON notification (name);
CREATE INDEX ix_notification_timestamp ON notification (timestamp);
CREATE INDEX ix_notification_user_id ON notification (user_id);
CREATE TABLE post (
	id SERIAL NOT NULL,
	body VARCHAR(140) NOT NULL,
	timestamp TIMESTAMP WITHOUT TIME ZONE NOT NULL,
	user_id INTEGER NOT NULL,
	language VARCHAR(5),
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES "user" (id)
);
CREATE INDEX ix_post_timestamp ON post (timestamp);
CREATE INDEX ix_post_user_id ON post (user_id);
CREATE TABLE task (
	id VARCHAR(36) NOT NULL,
	name VARCHAR(128) NOT NULL,
	description VARCHAR(128),
	user_id INTEGER NOT NULL,
	complete BOOLEAN NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(user_id) REFERENCES "user" (id)
);
CREATE INDEX ix_task_name ON task (name);
""",
}
MICROBLOG_HEAD_REVISION = "834b1a697901"  # migrations/versions/834b1a697901_user_tokens.py, the last one

# --- staff directory ------------------------------------------------------------------------------------------

STAFF_DDL = {
    "sqlite": """
CREATE TABLE cadres (
	id INTEGER NOT NULL,
	name VARCHAR(30) NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_cadres_name ON cadres (name);
CREATE TABLE departments (
	id INTEGER NOT NULL,
	name VARCHAR(50) NOT NULL,
	abbr VARCHAR(10),
	type VARCHAR(30) NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_departments_name ON departments (name);
CREATE TABLE roles (
	id INTEGER NOT NULL,
	name VARCHAR(30) NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_roles_name ON roles (name);
CREATE TABLE designations (
	id INTEGER NOT NULL,
	name VARCHAR(50) NOT NULL,
	abbr VARCHAR(10) NOT NULL,
	cadre_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(cadre_id) REFERENCES cadres (id)
);
CREATE INDEX ix_designations_cadre_id ON designations (cadre_id);
CREATE UNIQUE INDEX ix_designations_name ON designations (name);
CREATE TABLE units (
	id INTEGER NOT NULL,
	name VARCHAR(30) NOT NULL,
	abbr VARCHAR(10) NOT NULL,
	department_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(department_id) REFERENCES departments (id)
);
CREATE INDEX ix_units_department_id ON units (department_id);
CREATE UNIQUE INDEX ix_units_name ON units (name);
CREATE TABLE users (
	id INTEGER NOT NULL,
	fullname VARCHAR(15) NOT NULL,
	employee_id VARCHAR(15) NOT NULL,
	email VARCHAR(30) NOT NULL,
	mobile VARCHAR(30) NOT NULL,
	email2 VARCHAR(30),
	email3 VARCHAR(30),
	mobile2 VARCHAR(30),
	mobile3 VARCHAR(30),
	"officeAddress" VARCHAR(60),
	department_id INTEGER NOT NULL,
	unit_id INTEGER,
	designation_id INTEGER NOT NULL,
	cadre_id INTEGER,
	create_date DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
	inactive INTEGER DEFAULT '0' NOT NULL,
	inactive_date DATETIME DEFAULT CURRENT_TIMESTAMP,
	created_by INTEGER,
	inactive_by INTEGER,
	PRIMARY KEY (id),
	UNIQUE (email),
	FOREIGN KEY(department_id) REFERENCES departments (id),
	FOREIGN KEY(unit_id) REFERENCES units (id),
	FOREIGN KEY(designation_id) REFERENCES designations (id),
	FOREIGN KEY(cadre_id) REFERENCES cadres (id)
);
CREATE INDEX ix_users_cadre_id ON users (cadre_id);
CREATE INDEX ix_users_department_id ON users (department_id);
CREATE INDEX ix_users_designation_id ON users (designation_id);
CREATE INDEX ix_users_fullname ON users (fullname);
CREATE INDEX ix_users_unit_id ON users (unit_id);
CREATE TABLE accounts (
	id INTEGER NOT NULL,
	username VARCHAR(30) NOT NULL,
	uid CHAR(32) NOT NULL,
	password VARCHAR(50) NOT NULL,
	created_by INTEGER NOT NULL,
	create_date DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
	inactive INTEGER DEFAULT '0' NOT NULL,
	inactive_date DATETIME DEFAULT CURRENT_TIMESTAMP,
	inactive_by INTEGER,
	user_id INTEGER,
	PRIMARY KEY (id),
	UNIQUE (uid),
	FOREIGN KEY(created_by) REFERENCES accounts (id),
	FOREIGN KEY(inactive_by) REFERENCES accounts (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE UNIQUE INDEX ix_accounts_username ON accounts (username);
CREATE TABLE "departmentHeads" (
	department_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (department_id, user_id),
	FOREIGN KEY(department_id) REFERENCES departments (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE "unitHeads" (
	unit_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (unit_id, user_id),
	FOREIGN KEY(unit_id) REFERENCES units (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE accounts_roles_table (
	account_id INTEGER NOT NULL,
	role_id INTEGER NOT NULL,
	PRIMARY KEY (account_id, role_id),
	FOREIGN KEY(account_id) REFERENCES accounts (id),
	FOREIGN KEY(role_id) REFERENCES roles (id)
);
""",
    "mysql": """
CREATE TABLE cadres (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(30) NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_cadres_name ON cadres (name);
CREATE TABLE departments (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(50) NOT NULL,
	abbr VARCHAR(10),
	type VARCHAR(30) NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_departments_name ON departments (name);
CREATE TABLE roles (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(30) NOT NULL,
	PRIMARY KEY (id)
);
CREATE UNIQUE INDEX ix_roles_name ON roles (name);
CREATE TABLE designations (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(50) NOT NULL,
	abbr VARCHAR(10) NOT NULL,
	cadre_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(cadre_id) REFERENCES cadres (id)
);
CREATE INDEX ix_designations_cadre_id ON designations (cadre_id);
CREATE UNIQUE INDEX ix_designations_name ON designations (name);
CREATE TABLE units (
	id INTEGER NOT NULL AUTO_INCREMENT,
	name VARCHAR(30) NOT NULL,
	abbr VARCHAR(10) NOT NULL,
	department_id INTEGER NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(department_id) REFERENCES departments (id)
);
CREATE INDEX ix_units_department_id ON units (department_id);
CREATE UNIQUE INDEX ix_units_name ON units (name);
CREATE TABLE users (
	id INTEGER NOT NULL AUTO_INCREMENT,
	fullname VARCHAR(15) NOT NULL,
	employee_id VARCHAR(15) NOT NULL,
	email VARCHAR(30) NOT NULL,
	mobile VARCHAR(30) NOT NULL,
	email2 VARCHAR(30),
	email3 VARCHAR(30),
	mobile2 VARCHAR(30),
	mobile3 VARCHAR(30),
	`officeAddress` VARCHAR(60),
	department_id INTEGER NOT NULL,
	unit_id INTEGER,
	designation_id INTEGER NOT NULL,
	cadre_id INTEGER,
	create_date DATETIME NOT NULL DEFAULT now(),
	inactive INTEGER NOT NULL DEFAULT '0',
	inactive_date DATETIME DEFAULT now(),
	created_by INTEGER,
	inactive_by INTEGER,
	PRIMARY KEY (id),
	UNIQUE (email),
	FOREIGN KEY(department_id) REFERENCES departments (id),
	FOREIGN KEY(unit_id) REFERENCES units (id),
	FOREIGN KEY(designation_id) REFERENCES designations (id),
	FOREIGN KEY(cadre_id) REFERENCES cadres (id)
);
CREATE INDEX ix_users_cadre_id ON users (cadre_id);
CREATE INDEX ix_users_department_id ON users (department_id);
CREATE INDEX ix_users_designation_id ON users (designation_id);
CREATE INDEX ix_users_fullname ON users (fullname);
CREATE INDEX ix_users_unit_id ON users (unit_id);
CREATE TABLE accounts (
	id INTEGER NOT NULL AUTO_INCREMENT,
	username VARCHAR(30) NOT NULL,
	uid CHAR(32) NOT NULL,
	password VARCHAR(50) NOT NULL,
	created_by INTEGER NOT NULL,
	create_date DATETIME NOT NULL DEFAULT now(),
	inactive INTEGER NOT NULL DEFAULT '0',
	inactive_date DATETIME DEFAULT now(),
	inactive_by INTEGER,
	user_id INTEGER,
	PRIMARY KEY (id),
	UNIQUE (uid),
	FOREIGN KEY(created_by) REFERENCES accounts (id),
	FOREIGN KEY(inactive_by) REFERENCES accounts (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE UNIQUE INDEX ix_accounts_username ON accounts (username);
CREATE TABLE `departmentHeads` (
	department_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (department_id, user_id),
	FOREIGN KEY(department_id) REFERENCES departments (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE `unitHeads` (
	unit_id INTEGER NOT NULL,
	user_id INTEGER NOT NULL,
	PRIMARY KEY (unit_id, user_id),
	FOREIGN KEY(unit_id) REFERENCES units (id),
	FOREIGN KEY(user_id) REFERENCES users (id)
);
CREATE TABLE accounts_roles_table (
	account_id INTEGER NOT NULL,
	role_id INTEGER NOT NULL,
	PRIMARY KEY (account_id, role_id),
	FOREIGN KEY(account_id) REFERENCES accounts (id),
	FOREIGN KEY(role_id) REFERENCES roles (id)
);
""",
}

# backend/db_initializer/users.sql, as it is (MySQL's and SQLite's double-quoted strings): the reference rows.
STAFF_USERS_SQL = """
INSERT INTO departments (name, abbr, type)
VALUES
    ("Dr RP Center for Ophthalmic Sciences", "RPC", "CENTER"),
    ("Anaesthesiology", "Anaes", "Department");

INSERT INTO units (name, abbr, department_id)
VALUES
    ("Unit I", "Unit 1", 1),
    ("Unit II", "Unit 2", 1),
    ("Unit III", "Unit 3", 1),
    ("Unit IV", "Unit 4", 1),
    ("Unit V", "Unit 5", 1),
    ("Unit VI", "Unit VI", 1),
    ("Ocu Anesthesia", "RPC Anes", 1);


INSERT INTO cadres (name)
    VALUES ("Faculty"), ("Residents"), ("Nursing"), ("OT Technicians");



INSERT INTO designations (name, abbr, cadre_id)
VALUES
    ("Assistant Professor", "Asst Prof", 1),
    ("Associate Professor", "Asso Prof", 1),
    ("Additional Professor", "Addl Prof", 1),
    ("Professor", "Prof", 1),
    ("Senior Resident", "SR", 2),
    ("Junior Resident", "JR", 2),
    ("Nursing officer", "Nurse", 3),
    ("Senior Nursing officer", "Sr.Nurse", 3),
    ("Assitant Nursing Suprintendet", "ANS", 3),
    ("Deputy Nursing Suprintendet", "DNS", 3),
    ("OT Technician", "OTA", 4);


INSERT INTO roles (name)
    VALUES ("Consultant"), ("SR"), ("JR"), ("OT Nurse"), ("Ward Nurse");
"""

# What users.sql makes, in the tests' terms (ids as the statements above give them).
REFERENCE_DEPARTMENTS = {
    1: ("Dr RP Center for Ophthalmic Sciences", "RPC", "center"),
    2: ("Anaesthesiology", "Anaes", "department"),
}
REFERENCE_UNITS = {
    1: ("Unit I", "Unit 1"),
    2: ("Unit II", "Unit 2"),
    3: ("Unit III", "Unit 3"),
    4: ("Unit IV", "Unit 4"),
    5: ("Unit V", "Unit 5"),
    6: ("Unit VI", "Unit VI"),
    7: ("Ocu Anesthesia", "RPC Anes"),
}  # all in department 1
REFERENCE_CADRES = {1: "Faculty", 2: "Residents", 3: "Nursing", 4: "OT Technicians"}
REFERENCE_DESIGNATIONS = {
    1: ("Assistant Professor", "Asst Prof", 1),
    2: ("Associate Professor", "Asso Prof", 1),
    3: ("Additional Professor", "Addl Prof", 1),
    4: ("Professor", "Prof", 1),
    5: ("Senior Resident", "SR", 2),
    6: ("Junior Resident", "JR", 2),
    7: ("Nursing officer", "Nurse", 3),
    8: ("Senior Nursing officer", "Sr.Nurse", 3),
    9: ("Assitant Nursing Suprintendet", "ANS", 3),
    10: ("Deputy Nursing Suprintendet", "DNS", 3),
    11: ("OT Technician", "OTA", 4),
}
REFERENCE_ROLES = {1: "Consultant", 2: "SR", 3: "JR", 4: "OT Nurse", 5: "Ward Nurse"}


# --- connections ----------------------------------------------------------------------------------------------


def sqlite_path(url: str) -> str:
    """sqlite:////abs/path.db → /abs/path.db"""
    assert url.startswith("sqlite:///"), url
    return url[len("sqlite:///") :]


def connect(engine: str, url: str):
    """A DB-API connection in autocommit mode to the database of `url`."""
    if engine == "sqlite":
        return sqlite3.connect(sqlite_path(url), isolation_level=None)
    parts = urlsplit(url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    database = parts.path.lstrip("/")
    if engine == "postgresql":
        import psycopg

        return psycopg.connect(
            host=parts.hostname, port=parts.port or 5432, user=user, password=password, dbname=database, autocommit=True
        )
    if engine == "mysql":
        import MySQLdb

        connection = MySQLdb.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=user,
            passwd=password,
            database=database,
            charset="utf8mb4",
        )
        connection.autocommit(True)
        return connection
    raise ValueError(engine)


def sqlalchemy_datetime(value: datetime.datetime) -> str:
    """A naive datetime as SQLAlchemy's SQLite dialect stores it (always six digits of microseconds)."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


WITHOUT_ID = {"alembic_version", "followers", "accounts_roles_table", "unitHeads", "departmentHeads"}


class SourceDatabase:
    """One source database: its engine, its URL for the command, and a connection to fill it through."""

    DDL: dict[str, str] = {}

    def __init__(self, engine: str, url: str):
        self.engine = engine
        self.url = url
        self.connection = connect(engine, url)

    def close(self):
        self.connection.close()

    # -- SQL in the engine's dialect --

    def quote(self, name: str) -> str:
        return f"`{name}`" if self.engine == "mysql" else f'"{name}"'

    def execute(self, sql: str, params=()):
        """Run one statement written with %s placeholders; returns the cursor."""
        if self.engine == "sqlite":
            sql = sql.replace("%s", "?")
        params = tuple(self._value(value) for value in params)
        cursor = self.connection.cursor()
        cursor.execute(sql, params)
        return cursor

    def script(self, sql: str):
        """Several statements, separated by semicolons at the end of a line."""
        for statement in sql.split(";\n"):
            if statement.strip():
                self.execute(statement.strip().rstrip(";"))

    def _value(self, value):
        if isinstance(value, datetime.datetime) and self.engine == "sqlite":
            return sqlalchemy_datetime(value)
        return value

    def insert(self, table: str, **values) -> int | None:
        """INSERT one row; returns its id (None for a table without one)."""
        columns = ", ".join(self.quote(column) for column in values)
        placeholders = ", ".join(["%s"] * len(values))
        sql = f"INSERT INTO {self.quote(table)} ({columns}) VALUES ({placeholders})"
        has_id = table not in WITHOUT_ID
        if self.engine == "postgresql" and has_id:
            return self.execute(sql + " RETURNING id", values.values()).fetchone()[0]
        cursor = self.execute(sql, values.values())
        return cursor.lastrowid if has_id else None

    def insert_many(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Many rows in one transaction (for the volume test)."""
        names = ", ".join(self.quote(column) for column in columns)
        placeholders = ", ".join(["?" if self.engine == "sqlite" else "%s"] * len(columns))
        sql = f"INSERT INTO {self.quote(table)} ({names}) VALUES ({placeholders})"
        rows = [tuple(self._value(value) for value in row) for row in rows]
        if self.engine == "postgresql":
            with self.connection.transaction(), self.connection.cursor() as cursor:
                cursor.executemany(sql, rows)
            return
        cursor = self.connection.cursor()
        if self.engine == "sqlite":
            cursor.execute("BEGIN")
        else:
            self.connection.autocommit(False)
        cursor.executemany(sql, rows)
        self.connection.commit()
        if self.engine == "mysql":
            self.connection.autocommit(True)

    def rows(self, table: str) -> int:
        return self.execute(f"SELECT COUNT(*) FROM {self.quote(table)}").fetchone()[0]

    def create_schema(self):
        self.script(self.DDL[self.engine])

    def drop_table(self, table: str):
        self.execute(f"DROP TABLE {self.quote(table)}")

    def drop_column(self, table: str, column: str):
        if self.engine == "mysql":
            with self.dangling_references():  # MariaDB refuses to drop a column of a foreign key
                self.execute(f"ALTER TABLE {self.quote(table)} DROP COLUMN {self.quote(column)}")
            return
        self.execute(f"ALTER TABLE {self.quote(table)} DROP COLUMN {self.quote(column)}")

    @contextlib.contextmanager
    def dangling_references(self):
        """Foreign keys are not checked meanwhile (SQLite never checks them), for rows with a missing parent."""
        if self.engine == "postgresql":
            self.execute("SET session_replication_role = replica")  # no triggers, so no foreign key checks
        elif self.engine == "mysql":
            self.execute("SET FOREIGN_KEY_CHECKS = 0")
        try:
            yield
        finally:
            if self.engine == "postgresql":
                self.execute("SET session_replication_role = DEFAULT")
            elif self.engine == "mysql":
                self.execute("SET FOREIGN_KEY_CHECKS = 1")


# --- the builders ---------------------------------------------------------------------------------------------

PASSWORD = "cat-on-the-mat-42"  # every source person's password unless a test says otherwise
FAST_WERKZEUG = "pbkdf2:sha256:1000"  # a real Werkzeug method, cheap enough for many people


def werkzeug_hash(password: str = PASSWORD, method: str = FAST_WERKZEUG) -> str:
    """generate_password_hash as the microblog's User.set_password calls it (scrypt is its default method)."""
    return generate_password_hash(password, method=method)


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def naive(*args) -> datetime.datetime:
    return datetime.datetime(*args)


_DEFAULT = object()


class MicroblogSource(SourceDatabase):
    """The microblog's database: .user(), .post(), .follow(), .message() store rows and return their ids."""

    DDL = MICROBLOG_DDL

    def create_schema(self):
        super().create_schema()
        self.insert("alembic_version", version_num=MICROBLOG_HEAD_REVISION)

    def user(
        self,
        username: str,
        email: str | None = None,
        *,
        password_hash=_DEFAULT,
        about_me: str | None = None,
        last_seen: datetime.datetime | None = _DEFAULT,
        last_message_read_time: datetime.datetime | None = None,
        token: str | None = None,
        token_expiration: datetime.datetime | None = None,
    ) -> int:
        """A person; password_hash defaults to a fast Werkzeug hash of PASSWORD."""
        return self.insert(
            "user",
            username=username,
            email=email if email is not None else f"{username}@example.com",
            password_hash=werkzeug_hash() if password_hash is _DEFAULT else password_hash,
            about_me=about_me,
            last_seen=naive(2024, 3, 1, 9, 0, 0) if last_seen is _DEFAULT else last_seen,
            last_message_read_time=last_message_read_time,
            token=token,
            token_expiration=token_expiration,
        )

    def post(
        self, author: int, body: str, timestamp: datetime.datetime | None = None, language: str | None = "en"
    ) -> int:
        return self.insert(
            "post", body=body, timestamp=timestamp or naive(2024, 3, 1, 10, 0, 0), user_id=author, language=language
        )

    def follow(self, follower: int, followed: int) -> None:
        self.insert("followers", follower_id=follower, followed_id=followed)

    def message(self, sender: int, recipient: int, body: str, timestamp: datetime.datetime | None = None) -> int:
        return self.insert(
            "message",
            sender_id=sender,
            recipient_id=recipient,
            body=body,
            timestamp=timestamp or naive(2024, 3, 2, 8, 0, 0),
        )

    def notification(self, user: int, name: str, payload_json: str, timestamp: float = 1709283600.5) -> int:
        return self.insert("notification", name=name, user_id=user, timestamp=timestamp, payload_json=payload_json)

    def task(self, user: int, name: str, description: str | None = None, complete: bool = False) -> str:
        task_id = str(uuid.uuid4())  # RQ's job id
        self.insert("task", id=task_id, name=name, description=description, user_id=user, complete=complete)
        return task_id


class StaffSource(SourceDatabase):
    """The staff directory's database: the reference rows of users.sql, people, their accounts and roles."""

    DDL = STAFF_DDL

    def reference_rows(self):
        """backend/db_initializer/users.sql, statement by statement."""
        self.script(STAFF_USERS_SQL)

    def department(self, name: str, abbr: str | None = None, type: str = "Department") -> int:
        return self.insert("departments", name=name, abbr=abbr, type=type)

    def unit(self, name: str, abbr: str, department: int) -> int:
        return self.insert("units", name=name, abbr=abbr, department_id=department)

    def cadre(self, name: str) -> int:
        return self.insert("cadres", name=name)

    def designation(self, name: str, abbr: str, cadre: int) -> int:
        return self.insert("designations", name=name, abbr=abbr, cadre_id=cadre)

    def role(self, name: str) -> int:
        return self.insert("roles", name=name)

    def person(
        self,
        fullname: str,
        email: str,
        *,
        employee_id: str,
        department: int,
        designation: int,
        mobile: str = "+91 98100 12345",
        unit: int | None = None,
        cadre: int | None = None,
        email2: str | None = None,
        email3: str | None = None,
        mobile2: str | None = None,
        mobile3: str | None = None,
        office_address: str | None = None,
        create_date: datetime.datetime | None = None,
        inactive: int = 0,
        inactive_date: datetime.datetime | None = _DEFAULT,
        created_by: int | None = None,
        inactive_by: int | None = None,
    ) -> int:
        """A row of `users`. create_date and inactive_date left out get the server's default, now()."""
        values = {
            "fullname": fullname,
            "employee_id": employee_id,
            "email": email,
            "mobile": mobile,
            "email2": email2,
            "email3": email3,
            "mobile2": mobile2,
            "mobile3": mobile3,
            "officeAddress": office_address,
            "department_id": department,
            "unit_id": unit,
            "designation_id": designation,
            "cadre_id": cadre,
            "inactive": inactive,
            "created_by": created_by,
            "inactive_by": inactive_by,
        }
        if create_date is not None:
            values["create_date"] = create_date
        if inactive_date is not _DEFAULT:
            values["inactive_date"] = inactive_date
        return self.insert("users", **values)

    def account(
        self,
        person: int | None,
        username: str,
        password: str = PASSWORD,
        *,
        created_by: int | None = None,
        create_date: datetime.datetime | None = None,
        inactive: int = 0,
        inactive_date: datetime.datetime | None = _DEFAULT,
        inactive_by: int | None = None,
        roles: tuple[int, ...] = (),
    ) -> int:
        """A row of `accounts` for the person (users.id); created_by (NOT NULL) defaults to the account itself."""
        account_id = self.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {self.quote('accounts')}").fetchone()[0]
        values = {
            "id": account_id,
            "username": username,
            "uid": uuid.uuid4().hex,
            "password": password,
            "created_by": created_by if created_by is not None else account_id,
            "inactive": inactive,
            "inactive_by": inactive_by,
            "user_id": person,
        }
        if create_date is not None:
            values["create_date"] = create_date
        if inactive_date is not _DEFAULT:
            values["inactive_date"] = inactive_date
        self.insert("accounts", **values)
        for role in roles:
            self.insert("accounts_roles_table", account_id=account_id, role_id=role)
        return account_id

    def unit_head(self, unit: int, person: int) -> None:
        self.insert("unitHeads", unit_id=unit, user_id=person)

    def department_head(self, department: int, person: int) -> None:
        self.insert("departmentHeads", department_id=department, user_id=person)


# --- realistic data sets --------------------------------------------------------------------------------------

SCRYPT_PASSWORD = "susan-likes-scrypt"


def realistic_microblog(source: MicroblogSource) -> dict:
    """A handful of people (one with Werkzeug's default scrypt hash), their posts, follows and messages, a
    notification and a task; returns the ids by name and the expected counts."""
    ids = {
        "susan": source.user(
            "susan",
            "susan@example.com",
            password_hash=werkzeug_hash(SCRYPT_PASSWORD, method="scrypt"),
            about_me="I like cats and long walks.",
            last_seen=naive(2024, 3, 5, 17, 45, 12, 345678),
            last_message_read_time=naive(2024, 3, 4, 8, 0, 1, 500000),
            token="0123456789abcdef0123456789abcdef",
            token_expiration=naive(2024, 3, 5, 18, 45, 12),
        ),
        "john": source.user("john", "john@example.com", about_me=None),
        "david": source.user("david", "David.Smith@example.com", about_me="Runner."),
        "mary": source.user("mary", "mary@example.org", about_me="", last_seen=None),
    }
    ids["posts"] = [
        source.post(ids["susan"], "My first post!", naive(2024, 3, 1, 10, 0, 0, 1), "en"),
        source.post(ids["susan"], "Hola a todos", naive(2024, 3, 1, 11, 30, 0), "es"),
        source.post(ids["john"], "Nice day today.", naive(2024, 3, 2, 9, 15, 30, 250000), None),
        source.post(ids["david"], "x" * 140, naive(2024, 3, 3, 23, 59, 59, 999999), ""),
        source.post(ids["mary"], "Ünïcödé and emoji 🐈", naive(2024, 3, 4, 0, 0, 0), "de"),
    ]
    source.follow(ids["susan"], ids["john"])
    source.follow(ids["john"], ids["susan"])
    source.follow(ids["david"], ids["susan"])
    source.follow(ids["mary"], ids["david"])
    ids["follows"] = {("susan", "john"), ("john", "susan"), ("david", "susan"), ("mary", "david")}
    ids["messages"] = [
        source.message(ids["john"], ids["susan"], "Hi Susan, lunch?", naive(2024, 3, 2, 12, 0, 0, 120000)),
        source.message(ids["susan"], ids["john"], "Sure!", naive(2024, 3, 2, 12, 5, 0)),
    ]
    source.notification(ids["susan"], "unread_message_count", "1")
    source.task(ids["susan"], "export_posts", "Exporting posts...", complete=True)
    return ids


def realistic_staff(source: StaffSource) -> dict:
    """users.sql's reference rows, then four people: an admin, a consultant who heads a unit and the department,
    a nurse who was deactivated, and a resident without an account. Returns the ids by name."""
    source.reference_rows()
    ids = {}
    ids["asha"] = source.person(
        "Asha Verma",
        "asha@aiims.example",
        employee_id="E1001",
        department=1,
        unit=1,
        designation=4,
        cadre=1,
        mobile="+91 98100 11111",
        mobile2="011-2659 3000",
        email2="asha.verma@gmail.example",
        office_address="Room 12, 1st floor, RP Centre",
        create_date=naive(2020, 1, 15, 9, 30, 0),
    )
    ids["asha_account"] = source.account(
        ids["asha"], "asha", "asha-plain-pw-1", create_date=naive(2020, 1, 15, 9, 30, 0), roles=(1,)
    )
    ids["ravi"] = source.person(
        "Ravi Kumar",
        "ravi.kumar@aiims.example",
        employee_id="E1002",
        department=1,
        unit=2,
        designation=2,
        cadre=1,
        mobile="9810022222",
        create_date=naive(2021, 6, 1, 10, 0, 0),
        created_by=ids["asha_account"],
    )
    ids["ravi_account"] = source.account(
        ids["ravi"],
        "ravik",
        "ravi-plain-pw-2",
        created_by=ids["asha_account"],
        create_date=naive(2021, 6, 1, 10, 0, 0),
        roles=(1, 2),
    )
    ids["meena"] = source.person(
        "Meena Das",
        "meena@aiims.example",
        employee_id="N2001",
        department=1,
        unit=7,
        designation=7,
        cadre=3,
        mobile="+91 98100 33333",
        create_date=naive(2019, 4, 2, 8, 0, 0),
        inactive=1,
        inactive_date=naive(2023, 12, 31, 17, 0, 0),
        created_by=ids["asha_account"],
        inactive_by=ids["ravi_account"],
    )
    ids["meena_account"] = source.account(
        ids["meena"],
        "meena",
        "meena-plain-pw-3",
        created_by=ids["asha_account"],
        create_date=naive(2019, 4, 2, 8, 0, 0),
        inactive=1,
        inactive_date=naive(2023, 12, 31, 17, 0, 0),
        inactive_by=ids["ravi_account"],
        roles=(5,),
    )
    ids["kiran"] = source.person(
        "Kiran Rao",
        "Kiran.Rao@aiims.example",
        employee_id="R3001",
        department=2,
        designation=6,
        cadre=2,
        mobile="+91 98100 44444",
        create_date=naive(2024, 7, 1, 9, 0, 0),
        created_by=ids["ravi_account"],
    )  # no account
    source.unit_head(1, ids["asha"])
    source.unit_head(2, ids["ravi"])
    source.department_head(1, ids["asha"])
    return ids
