"""The floor: a minimal WSGI app that does what the Django project does for the benchmarked endpoints.

For each endpoint it runs the same SQL statements Django runs (copied from Django's captured
queries: same text, same parameters, psycopg 3 with client-side binding like Django's backend),
authenticates the token or the session the same way (token joined to its user; session row, then
the user row), paginates with the same COUNT query, and answers with the same JSON (same keys,
values and bytes as DRF's compact JSON renderer, built with the standard json module) or, for the
HTML pages, a minimal page with the same rows (string formatting + html.escape).

One psycopg connection per worker process, opened on first use and reused (no health check).
Served by gunicorn with the same settings as Django: `gunicorn --chdir bench floor:application`.
The database comes from DATABASE_URL (postgres://user@host:port/name).

The harness checks that the statements run here are the ones Django runs (and reports any difference) and that
the JSON answers are equal, so the ratio Django/floor measures the framework, not different work.
"""

import base64
import html
import json
import os
import re
import zlib
from datetime import UTC, datetime
from urllib import parse

import psycopg

# --- SQL (as Django generates it) ----------------------------------------------------------------

USER_COLUMNS = [
    "id",
    "password",
    "last_login",
    "is_superuser",
    "username",
    "first_name",
    "last_name",
    "is_staff",
    "is_active",
    "date_joined",
    "email",
    "full_name",
    "employee_id",
    "mobile",
    "mobile2",
    "mobile3",
    "email2",
    "email3",
    "office_address",
    "about_me",
    "last_seen",
    "last_message_read_time",
    "language",
    "department_id",
    "unit_id",
    "designation_id",
    "created_by_id",
    "deactivated_by_id",
    "deactivated_at",
]
U = {name: i for i, name in enumerate(USER_COLUMNS)}  # column index in a user row
USER_SELECT = ", ".join(f'"accounts_user"."{c}"' for c in USER_COLUMNS)

POST_COLUMNS = ("id", "body", "timestamp", "author_id")
POST_SELECT = ", ".join(f'"posts_post"."{c}"' for c in POST_COLUMNS)
# A post row: the post's 4 columns, then its author's id and username (all Django loads of the author).
P_AUTHOR = len(POST_COLUMNS)
AUTHOR_COLUMNS = ("id", "username")
A = {name: i for i, name in enumerate(AUTHOR_COLUMNS)}  # column index in a post row's author part

SQL_POST_COUNT = 'SELECT COUNT(*) AS "__count" FROM "posts_post"'
SQL_POST_PAGE = (
    f"SELECT {POST_SELECT}, " + ", ".join(f'"accounts_user"."{c}"' for c in AUTHOR_COLUMNS) + ' FROM "posts_post" '
    'INNER JOIN "accounts_user" ON ("posts_post"."author_id" = "accounts_user"."id")'
)
SQL_AUTHOR_POSTS = f'SELECT {POST_SELECT} FROM "posts_post"'
POST_ORDER = ' ORDER BY "posts_post"."timestamp" DESC, "posts_post"."id" DESC'

# The feed: posts whose author is followed by the viewer, or is the viewer (params: viewer id twice).
FEED_WHERE = (
    ' WHERE "posts_post"."author_id" IN ((SELECT U0."followed_id" AS "followed" FROM "accounts_follow" U0 '
    'WHERE U0."follower_id" = %s) UNION (SELECT U0."id" AS "pk" FROM "accounts_user" U0 WHERE U0."id" = %s))'
)
AUTHOR_WHERE = ' WHERE "posts_post"."author_id" = %s'


def _count_of(table: str, column: str) -> str:
    return f'(SELECT COUNT(*) FROM "{table}" WHERE "{column}" = "accounts_user"."id")'


ORG_COLUMNS = (
    '"organization_department"."id", "organization_department"."name", "organization_department"."abbr", '
    '"organization_department"."kind", "organization_unit"."id", "organization_unit"."name", '
    '"organization_unit"."abbr", "organization_unit"."department_id", "organization_designation"."id", '
    '"organization_designation"."name", "organization_designation"."abbr", "organization_designation"."cadre_id"'
)
ORG_JOINS = (
    ' FROM "accounts_user" LEFT OUTER JOIN "organization_department" ON '
    '("accounts_user"."department_id" = "organization_department"."id") LEFT OUTER JOIN "organization_unit" ON '
    '("accounts_user"."unit_id" = "organization_unit"."id") LEFT OUTER JOIN "organization_designation" ON '
    '("accounts_user"."designation_id" = "organization_designation"."id")'
)
COUNTS = (
    f'{_count_of("posts_post", "author_id")} AS "post_count", '
    f'{_count_of("accounts_follow", "followed_id")} AS "follower_count", '
    f'{_count_of("accounts_follow", "follower_id")} AS "following_count"'
)
IS_FOLLOWED = (
    'EXISTS(SELECT %s AS "a" FROM "accounts_follow" U0 WHERE (U0."followed_id" = ("accounts_user"."id") '
    'AND U0."follower_id" = %s) LIMIT 1) AS "is_followed"'
)
SQL_USER_COUNT = 'SELECT COUNT(*) AS "__count" FROM "accounts_user"'
SQL_USER_LIST = f"SELECT {USER_SELECT}, {COUNTS}, {ORG_COLUMNS}{ORG_JOINS}"
SQL_PROFILE = f"SELECT {USER_SELECT}, {COUNTS}, {IS_FOLLOWED}, {ORG_COLUMNS}{ORG_JOINS}" + (
    ' WHERE "accounts_user"."username" = %s LIMIT 21'
)
# In a user-list row: user columns, 3 counts, then department (4), unit (4), designation (4) columns.
L_COUNTS = len(USER_COLUMNS)

# What the API loads of a person (Django: accounts.selectors.USER_API_FIELDS, in the model's field order),
# then the 3 counts, then the department's, unit's and designation's id and name.
API_USER_COLUMNS = [
    "id",
    "username",
    "email",
    "full_name",
    "employee_id",
    "mobile",
    "mobile2",
    "mobile3",
    "email2",
    "email3",
    "office_address",
    "about_me",
    "last_seen",
    "department_id",
    "unit_id",
    "designation_id",
]
AU = {name: i for i, name in enumerate(API_USER_COLUMNS)}
API_COUNTS = len(API_USER_COLUMNS)
API_ORG_COLUMNS = ", ".join(
    f'"organization_{table}"."{column}"' for table in ("department", "unit", "designation") for column in ("id", "name")
)
SQL_API_USER_LIST = (
    "SELECT "
    + ", ".join(f'"accounts_user"."{c}"' for c in API_USER_COLUMNS)
    + f", {COUNTS}, {API_ORG_COLUMNS}{ORG_JOINS}"
)
SQL_API_USER_ONE = SQL_API_USER_LIST + ' WHERE "accounts_user"."id" = %s LIMIT 21'

SQL_TOKEN = (
    'SELECT "authtoken_token"."key", "authtoken_token"."user_id", "authtoken_token"."created", '
    f'{USER_SELECT} FROM "authtoken_token" INNER JOIN "accounts_user" ON '
    '("authtoken_token"."user_id" = "accounts_user"."id") WHERE "authtoken_token"."key" = %s LIMIT 21'
)
SQL_SESSION = (
    'SELECT "django_session"."session_key", "django_session"."session_data", "django_session"."expire_date" '
    'FROM "django_session" WHERE ("django_session"."expire_date" > %s AND "django_session"."session_key" = %s) '
    "LIMIT 21"
)
SQL_USER_BY_ID = f'SELECT {USER_SELECT} FROM "accounts_user" WHERE "accounts_user"."id" = %s LIMIT 21'

API_PAGE_SIZE, API_MAX_PAGE_SIZE, HTML_PAGE_SIZE = 20, 100, 25
PRIVATE_FIELDS = ("email", "employee_id", "mobile", "mobile2", "mobile3", "email2", "email3", "office_address")
SESSION_COOKIE = os.environ.get("SESSION_COOKIE_NAME", "sessionid")

# --- the connection (one per worker, lazily opened, reused) ---------------------------------------

_connection = None


def db():
    global _connection
    if _connection is None or _connection.closed or _connection.broken:
        _connection = psycopg.connect(
            os.environ["DATABASE_URL"],
            autocommit=True,
            cursor_factory=psycopg.ClientCursor,
            options="-c TimeZone=UTC",
        )
    return _connection


def query(sql: str, params=None) -> list[tuple]:
    with db().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- HTTP helpers --------------------------------------------------------------------------------


class HTTPError(Exception):
    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def json_bytes(data) -> bytes:
    """DRF's compact JSON renderer: no spaces, UTF-8, U+2028/9 escaped."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def iso(value):
    """DRF's DateTimeField (UTC): ISO 8601 with a Z."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def base_url(environ) -> str:
    return f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST') or environ['SERVER_NAME']}"


def full_url(environ) -> str:
    qs = environ.get("QUERY_STRING", "")
    return base_url(environ) + environ.get("PATH_INFO", "/") + (f"?{qs}" if qs else "")


def replace_query_param(url, key, val):
    scheme, netloc, path, query_string, fragment = parse.urlsplit(str(url))
    query_dict = parse.parse_qs(query_string, keep_blank_values=True)
    query_dict[str(key)] = [str(val)]
    return parse.urlunsplit((scheme, netloc, path, parse.urlencode(sorted(query_dict.items()), doseq=True), fragment))


def remove_query_param(url, key):
    scheme, netloc, path, query_string, fragment = parse.urlsplit(str(url))
    query_dict = parse.parse_qs(query_string, keep_blank_values=True)
    query_dict.pop(key, None)
    return parse.urlunsplit((scheme, netloc, path, parse.urlencode(sorted(query_dict.items()), doseq=True), fragment))


def positive_int(text, cutoff=None) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError(text)
    return min(value, cutoff) if cutoff else value


class Page:
    """Django's Paginator for one page: COUNT first, then LIMIT/OFFSET (no orphans)."""

    def __init__(self, params: dict, page_size: int, count_sql: str | int, count_params, page_sql: str, page_params):
        raw = params.get("page", ["1"])[0]
        # count_sql: the COUNT query, or the count itself when it is known (as Django's profile page knows it).
        self.count = count_sql if isinstance(count_sql, int) else query(count_sql, count_params)[0][0]
        self.num_pages = max(1, -(-self.count // page_size))
        try:
            self.number = self.num_pages if raw == "last" else positive_int(raw)
        except ValueError:
            raise HTTPError("404 Not Found", "Invalid page.") from None
        if self.number > self.num_pages:
            raise HTTPError("404 Not Found", "Invalid page.")
        bottom = (self.number - 1) * page_size
        top = min(bottom + page_size, self.count)
        self.rows = []
        if top > bottom:
            sql = f"{page_sql} LIMIT {top - bottom}" + (f" OFFSET {bottom}" if bottom else "")
            self.rows = query(sql, page_params)

    def links(self, url: str) -> tuple[str | None, str | None]:
        following = replace_query_param(url, "page", self.number + 1) if self.number < self.num_pages else None
        if self.number <= 1:
            return following, None
        previous = self.number - 1
        if previous == 1:
            return following, remove_query_param(url, "page")
        return following, replace_query_param(url, "page", previous)


# --- serialization (DRF's shapes) ----------------------------------------------------------------


def user_summary(row, offset: int, base: str) -> dict:
    pk = row[offset + A["id"]]
    return {"id": pk, "username": row[offset + A["username"]], "avatar": f"{base}/avatar/{pk}.svg"}


def post_json(row, base: str) -> dict:
    return {"id": row[0], "body": row[1], "timestamp": iso(row[2]), "author": user_summary(row, P_AUTHOR, base)}


def named(row, start: int):
    return None if row[start] is None else {"id": row[start], "name": row[start + 1]}


def user_json(row, base: str, viewer_id=None, viewer_is_staff=False) -> dict:
    """A row of SQL_API_USER_LIST as the API shows it."""
    pk = row[AU["id"]]
    org = API_COUNTS + 3
    data = {
        "id": pk,
        "username": row[AU["username"]],
        "full_name": row[AU["full_name"]],
        "about_me": row[AU["about_me"]],
        "last_seen": iso(row[AU["last_seen"]]),
        "avatar": f"{base}/avatar/{pk}.svg",
        "department": named(row, org),
        "unit": named(row, org + 2),
        "designation": named(row, org + 4),
        "post_count": row[API_COUNTS],
        "follower_count": row[API_COUNTS + 1],
        "following_count": row[API_COUNTS + 2],
    }
    shown = viewer_is_staff or viewer_id == pk
    for name in PRIVATE_FIELDS:
        data[name] = row[AU[name]] if shown else None
    return data


def paginated(page: Page, url: str, results: list) -> dict:
    following, previous = page.links(url)
    return {"count": page.count, "next": following, "previous": previous, "results": results}


# --- authentication --------------------------------------------------------------------------------


def token_user(environ):
    """The active user row of `Authorization: Token <key>` (the token row's columns come first), or None."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "token" or not key:
        return None
    rows = query(SQL_TOKEN, (key.strip(),))
    if not rows or not rows[0][3 + U["is_active"]]:
        raise HTTPError("401 Unauthorized", "Invalid token.")
    return rows[0][3:]


def _cookie(environ, name: str):
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def session_user(environ):
    """The user row of the session cookie (Django's signed session data is decoded, not re-verified)."""
    key = _cookie(environ, SESSION_COOKIE)
    if not key:
        return None
    rows = query(SQL_SESSION, (datetime.now(UTC), key))
    if not rows:
        return None
    payload = rows[0][1].rsplit(":", 2)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    data = json.loads(zlib.decompress(raw) if compressed else raw)
    user_id = data.get("_auth_user_id")
    if user_id is None:
        return None
    users = query(SQL_USER_BY_ID, (int(user_id),))
    return users[0] if users and users[0][U["is_active"]] else None


# --- the endpoints -----------------------------------------------------------------------------------


def api_page_size(params) -> int:
    try:
        return positive_int(params["page_size"][0], cutoff=API_MAX_PAGE_SIZE)
    except (KeyError, ValueError):
        return API_PAGE_SIZE


def api_posts(environ, params):
    page = Page(params, api_page_size(params), SQL_POST_COUNT, None, SQL_POST_PAGE + POST_ORDER, None)
    base = base_url(environ)
    return paginated(page, full_url(environ), [post_json(r, base) for r in page.rows])


def api_users(environ, params):
    page = Page(
        params,
        api_page_size(params),
        SQL_USER_COUNT,
        None,
        SQL_API_USER_LIST + ' ORDER BY "accounts_user"."username" ASC',
        None,
    )
    base = base_url(environ)
    return paginated(page, full_url(environ), [user_json(r, base) for r in page.rows])


def api_user(environ, params, pk: int):
    rows = query(SQL_API_USER_ONE, (pk,))
    if not rows:
        raise HTTPError("404 Not Found", "No User matches the given query.")
    return user_json(rows[0], base_url(environ))


def api_feed(environ, params):
    user = token_user(environ) or session_user(environ)
    if user is None:
        raise HTTPError("401 Unauthorized", "Authentication credentials were not provided.")
    uid = user[U["id"]]
    page = Page(
        params,
        api_page_size(params),
        SQL_POST_COUNT + FEED_WHERE,
        (uid, uid),
        SQL_POST_PAGE + FEED_WHERE + POST_ORDER,
        (uid, uid),
    )
    base = base_url(environ)
    return paginated(page, full_url(environ), [post_json(r, base) for r in page.rows])


E = html.escape


def html_posts(page: Page) -> str:
    items = "".join(
        f'<article><a href="/user/{E(r[P_AUTHOR + A["username"]])}/"><img src="/avatar/{r[3]}.svg" alt="" '
        f'width="48" height="48"></a> <a href="/user/{E(r[P_AUTHOR + A["username"]])}/">'
        f'{E(r[P_AUTHOR + A["username"]])}</a> <time datetime="{r[2].isoformat()}">{r[2]:%Y-%m-%d %H:%M}</time>'
        f"<p>{E(r[1])}</p></article>\n"
        for r in page.rows
    )
    nav = f"<nav>Page {page.number} of {page.num_pages}"
    if page.number > 1:
        nav += f' <a href="?page={page.number - 1}">Newer</a>'
    if page.number < page.num_pages:
        nav += f' <a href="?page={page.number + 1}">Older</a>'
    return items + nav + "</nav>"


def html_document(title: str, viewer, body: str) -> str:
    who = f'<a href="/user/{E(viewer[U["username"]])}/">{E(viewer[U["username"]])}</a>' if viewer else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{E(title)} · Microblog</title>'
        f"</head><body><nav>{who}</nav><main>{body}</main></body></html>"
    )


def page_feed(environ, params):
    viewer = session_user(environ)
    if viewer is None:
        return html_document("Microblog", None, "<h1>Welcome</h1>")
    uid = viewer[U["id"]]
    page = Page(
        params,
        HTML_PAGE_SIZE,
        SQL_POST_COUNT + FEED_WHERE,
        (uid, uid),
        SQL_POST_PAGE + FEED_WHERE + POST_ORDER,
        (uid, uid),
    )
    body = f"<h1>Hi, {E(viewer[U['username']])}!</h1><h2>Your feed</h2>{html_posts(page)}"
    return html_document("Home", viewer, body)


def page_profile(environ, params, username: str):
    viewer = session_user(environ)
    viewer_id = viewer[U["id"]] if viewer else None
    if viewer is not None:
        rows = query(SQL_PROFILE, (1, viewer_id, username))
        org_start = L_COUNTS + 4
    else:
        rows = query(SQL_USER_LIST + ' WHERE "accounts_user"."username" = %s LIMIT 21', (username,))
        org_start = L_COUNTS + 3
    if not rows:
        raise HTTPError("404 Not Found", "No such person.")
    person = rows[0]
    pid = person[U["id"]]
    # Like Django: the person's post count pages the posts, and the page has no join (the author is the person).
    page = Page(params, HTML_PAGE_SIZE, person[L_COUNTS], None, SQL_AUTHOR_POSTS + AUTHOR_WHERE + POST_ORDER, (pid,))
    page.rows = [row + tuple(person[U[c]] for c in AUTHOR_COLUMNS) for row in page.rows]
    org = " · ".join(E(person[i + 1]) for i in (org_start + 8, org_start + 4, org_start) if person[i] is not None)
    follow = ""
    if viewer is not None and viewer_id != pid:
        action = "unfollow" if person[L_COUNTS + 3] else "follow"
        follow = (
            f'<form method="post" action="/{action}/{E(person[U["username"]])}/">'
            f"<button>{action.title()}</button></form>"
        )
    body = (
        f'<img src="/avatar/{pid}.svg" alt="" width="128" height="128"><h1>{E(person[U["username"]])}</h1>'
        f"<p>{E(person[U['full_name']])}</p><p>{E(person[U['about_me']])}</p><p>{org}</p>"
        f"<p>{person[L_COUNTS + 1]} followers · {person[L_COUNTS + 2]} following · {person[L_COUNTS]} posts</p>"
        f"{follow}<h2>Posts</h2>{html_posts(page)}"
    )
    return html_document(person[U["username"]], viewer, body)


ROUTES = [
    (re.compile(r"^/api/posts/$"), api_posts, "json"),
    (re.compile(r"^/api/users/$"), api_users, "json"),
    (re.compile(r"^/api/users/(\d+)/$"), lambda env, params, pk: api_user(env, params, int(pk)), "json"),
    (re.compile(r"^/api/feed/$"), api_feed, "json"),
    (re.compile(r"^/user/([^/]+)/$"), lambda env, params, name: page_profile(env, params, parse.unquote(name)), "html"),
    (re.compile(r"^/$"), page_feed, "html"),
]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    params = parse.parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    view, kind, match = None, "json", None
    for pattern, route_view, route_kind in ROUTES:
        match = pattern.match(path)
        if match:
            view, kind = route_view, route_kind
            break
    if view is None:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [json_bytes({"detail": "Not found."})]
    try:
        result = view(environ, params, *match.groups())
        status = "200 OK"
    except HTTPError as exc:
        status, result = exc.status, ({"detail": exc.detail} if kind == "json" else f"<h1>{E(exc.detail)}</h1>")
    except psycopg.OperationalError:
        global _connection
        _connection = None  # reconnect on the next request
        raise
    if kind == "json":
        body, content_type = json_bytes(result), "application/json"
    else:
        body, content_type = result.encode(), "text/html; charset=utf-8"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
