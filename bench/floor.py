"""The lean floor: the least work that gives each benchmarked answer, with psycopg 3 and no framework.

What it does per request (nothing is cached: this is the uncached minimum the project is measured against):

- Authentication: a token is one query (token -> user id, is_active; the username too when the answer shows
  it); a session is its row (`session_data` of an unexpired key, decoded from Django's signing format, the
  signature not re-checked) and then the person's id, username and is_active.
- Reads load only the columns the answer shows (no private fields for people who may not see them, no
  columns of the author but the username), then the page with LIMIT/OFFSET and its count (or the count the
  same query already gave, as on the profile page).
- Writes (the mixed run) are single statements: INSERT a post (and add it to the project's counter of
  posts, which the post list's count reads); INSERT ... ON CONFLICT DO NOTHING a follow
  then read the person back (the answer shows them with fresh counts); DELETE a follow; UPDATE a person's
  about_me and read them back in the same statement (a CTE).
- Answers: the same JSON as the project's API (same keys, values and bytes as DRF's compact renderer, built
  with json.dumps), and for the two HTML pages a minimal page with the same rows (string formatting and
  html.escape).

One psycopg connection per worker process, opened on first use and reused (autocommit, client-side binding
like Django's backend, no health check). Served by gunicorn with the same settings as Django:
`gunicorn --pythonpath bench floor:application`. The database comes from DATABASE_URL.

The harness checks that the JSON answers are the same bytes as Django's and reports the statements per
request of both (they differ: Django's cache may answer with none, the floor always reads the database).
"""

import base64
import html
import json
import os
import random
import re
import zlib
from datetime import UTC
from urllib import parse

import psycopg

# --- SQL: only what the answers show ----------------------------------------------------------------

# Authentication. The token's person must be active (DRF's TokenAuthentication: "User inactive or deleted.").
SQL_TOKEN = "SELECT u.id, u.is_active FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id WHERE t.key = %s"
SQL_TOKEN_NAMED = (
    "SELECT u.id, u.is_active, u.username FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id "
    "WHERE t.key = %s"
)
SQL_SESSION = "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > now()"
SQL_SESSION_USER = "SELECT username FROM accounts_user WHERE id = %s AND is_active"

# Posts, newest first, with their author's username (a post row: id, body, timestamp, author_id, username).
POST_ORDER = " ORDER BY p.timestamp DESC, p.id DESC"
SQL_POSTS = (
    "SELECT p.id, p.body, p.timestamp, p.author_id, u.username "
    "FROM posts_post p JOIN accounts_user u ON u.id = p.author_id"
)
# The number of posts: the sum of the project's counter (posts.counting), which every post write keeps.
SQL_POSTS_COUNT = "SELECT coalesce(sum(posts), 0)::bigint FROM posts_postcounter"
# The feed: the people the viewer follows and the viewer (params: viewer id twice). The UNION lets PostgreSQL
# read only those authors' entries of the (author, timestamp) index, for the count as for the page.
FEED_AUTHORS = (
    " WHERE p.author_id IN (SELECT followed_id FROM accounts_follow WHERE follower_id = %s UNION ALL SELECT %s)"
)
SQL_FEED_COUNT = "SELECT count(*) FROM posts_post p" + FEED_AUTHORS
SQL_FEED = SQL_POSTS + FEED_AUTHORS + POST_ORDER
SQL_AUTHOR_POSTS = "SELECT p.id, p.body, p.timestamp FROM posts_post p WHERE p.author_id = %s" + POST_ORDER

# A person as the API and the profile page show them: public columns, organization names, three counts.
PUBLIC_COLUMNS = "u.id, u.username, u.full_name, u.about_me, u.last_seen"
PRIVATE_FIELDS = ("email", "employee_id", "mobile", "mobile2", "mobile3", "email2", "email3", "office_address")
PRIVATE_COLUMNS = ", ".join(f"u.{name}" for name in PRIVATE_FIELDS)
ORG_COLUMNS = "u.department_id, d.name, u.unit_id, n.name, u.designation_id, g.name"
COUNTS = (
    "(SELECT count(*) FROM posts_post WHERE author_id = u.id), "
    "(SELECT count(*) FROM accounts_follow WHERE followed_id = u.id), "
    "(SELECT count(*) FROM accounts_follow WHERE follower_id = u.id)"
)
ORG_JOINS = (
    " LEFT JOIN organization_department d ON d.id = u.department_id"
    " LEFT JOIN organization_unit n ON n.id = u.unit_id"
    " LEFT JOIN organization_designation g ON g.id = u.designation_id"
)
PERSON = f"SELECT {PUBLIC_COLUMNS}, {ORG_COLUMNS}, {COUNTS}"
# Row layout: 0-4 public columns, 5-10 organization (id, name) x 3, 11-13 counts, then the private fields.
ORG, COUNT = 5, 11
SQL_PEOPLE_COUNT = "SELECT count(*) FROM accounts_user"
SQL_PEOPLE = f"{PERSON} FROM accounts_user u{ORG_JOINS} ORDER BY u.username"
SQL_PERSON = f"{PERSON} FROM accounts_user u{ORG_JOINS} WHERE u.id = %s"
SQL_PERSON_PRIVATE = f"{PERSON}, {PRIVATE_COLUMNS} FROM accounts_user u{ORG_JOINS} WHERE u.id = %s"
# The profile page: the person by username, with whether the viewer follows them (param: viewer id or None).
SQL_PROFILE = (
    f"{PERSON}, EXISTS(SELECT 1 FROM accounts_follow WHERE follower_id = %s AND followed_id = u.id) "
    f"FROM accounts_user u{ORG_JOINS} WHERE u.username = %s"
)

# Writes.
# The post and the counter of posts (one of its slots, picked at random: posts.counting) in one statement.
SQL_POST_INSERT = (
    "WITH p AS (INSERT INTO posts_post (body, timestamp, author_id) VALUES (%s, now(), %s) RETURNING id, timestamp), "
    "c AS (UPDATE posts_postcounter SET posts = posts + 1 WHERE slot = %s) SELECT id, timestamp FROM p"
)
COUNTER_SLOTS = 8  # posts.counting.SLOTS
SQL_FOLLOW = (
    "INSERT INTO accounts_follow (follower_id, followed_id, created_at) VALUES (%s, %s, now()) "
    "ON CONFLICT (follower_id, followed_id) DO NOTHING RETURNING id"
)
SQL_UNFOLLOW = "DELETE FROM accounts_follow WHERE follower_id = %s AND followed_id = %s"
SQL_PERSON_EXISTS = "SELECT 1 FROM accounts_user WHERE id = %s"
# The updated row comes from the UPDATE itself; the counts (other tables) are unchanged by it.
SQL_ABOUT_ME = (
    "WITH u AS (UPDATE accounts_user SET about_me = %s WHERE id = %s RETURNING *) "
    f"{PERSON}, {PRIVATE_COLUMNS} FROM u{ORG_JOINS}"
)

API_PAGE_SIZE, API_MAX_PAGE_SIZE, HTML_PAGE_SIZE = 20, 100, 25
POST_MAX_LENGTH = 140
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
        return cursor.fetchall() if cursor.description else []


def execute(sql: str, params=None) -> int:
    """A statement without rows to read; its row count."""
    with db().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- HTTP helpers --------------------------------------------------------------------------------


class HTTPError(Exception):
    def __init__(self, status: str, detail):
        super().__init__(str(detail))
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


def read_json(environ) -> dict:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError:
        raise HTTPError("400 Bad Request", "JSON parse error.") from None
    if not isinstance(data, dict):
        raise HTTPError("400 Bad Request", "Invalid data.")
    return data


class Page:
    """One page as Django's Paginator cuts it: the count, then LIMIT/OFFSET (no orphans).

    `count`: an int when the answer already knows it, else the SQL (and params) of the COUNT.
    `nearest`: the HTML pages' rule (a bad or too-large number gives the nearest page); else the API's (404).
    """

    def __init__(self, params, page_size, count, count_params, page_sql, page_params, nearest=False):
        raw = params.get("page", ["1"])[0]
        self.count = count if isinstance(count, int) else query(count, count_params)[0][0]
        self.num_pages = max(1, -(-self.count // page_size))
        try:
            self.number = self.num_pages if raw == "last" else positive_int(raw)
        except ValueError:
            if not nearest:
                raise HTTPError("404 Not Found", "Invalid page.") from None
            self.number = 1
        if self.number > self.num_pages:
            if not nearest:
                raise HTTPError("404 Not Found", "Invalid page.")
            self.number = self.num_pages
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


def post_json(pk, body, timestamp, author_id, username, base: str) -> dict:
    return {
        "id": pk,
        "body": body,
        "timestamp": iso(timestamp),
        "author": {"id": author_id, "username": username, "avatar": f"{base}/avatar/{author_id}.svg"},
    }


def named(row, start: int):
    return None if row[start] is None else {"id": row[start], "name": row[start + 1]}


def person_json(row, base: str) -> dict:
    """A person row (SQL_PERSON..., with the private fields after the counts when they are shown)."""
    pk = row[0]
    data = {
        "id": pk,
        "username": row[1],
        "full_name": row[2],
        "about_me": row[3],
        "last_seen": iso(row[4]),
        "avatar": f"{base}/avatar/{pk}.svg",
        "department": named(row, ORG),
        "unit": named(row, ORG + 2),
        "designation": named(row, ORG + 4),
        "post_count": row[COUNT],
        "follower_count": row[COUNT + 1],
        "following_count": row[COUNT + 2],
    }
    private = row[COUNT + 3 : COUNT + 3 + len(PRIVATE_FIELDS)]
    for i, name in enumerate(PRIVATE_FIELDS):
        data[name] = private[i] if private else None
    return data


def paginated(page: Page, url: str, results: list) -> dict:
    following, previous = page.links(url)
    return {"count": page.count, "next": following, "previous": previous, "results": results}


# --- authentication --------------------------------------------------------------------------------


def token_user(environ, named_user=False):
    """(id, is_active[, username]) of `Authorization: Token <key>`, None without a token; 401 for a bad one."""
    scheme, _, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    rows = query(SQL_TOKEN_NAMED if named_user else SQL_TOKEN, (key.strip(),))
    if not rows:
        raise HTTPError("401 Unauthorized", "Invalid token.")
    if not rows[0][1]:
        raise HTTPError("401 Unauthorized", "User inactive or deleted.")
    return rows[0]


def _cookie(environ, name: str):
    for part in environ.get("HTTP_COOKIE", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def session_user(environ):
    """(id, username) of the session cookie's active person, or None (Django's signed data decoded, not verified)."""
    key = _cookie(environ, SESSION_COOKIE)
    if not key:
        return None
    rows = query(SQL_SESSION, (key,))
    if not rows:
        return None
    payload = rows[0][0].rsplit(":", 2)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    user_id = json.loads(zlib.decompress(raw) if compressed else raw).get("_auth_user_id")
    if user_id is None:
        return None
    users = query(SQL_SESSION_USER, (int(user_id),))
    return (int(user_id), users[0][0]) if users else None


def api_user_id(environ, named_user=False):
    """The API's caller: token first, then the session (DRF's order); 401 when a write needs one and has none."""
    user = token_user(environ, named_user)
    if user is not None:
        return user
    session = session_user(environ)
    if session is None:
        return None
    return (session[0], True, session[1])


def require_user(environ, named_user=False):
    user = api_user_id(environ, named_user)
    if user is None:
        raise HTTPError("401 Unauthorized", "Authentication credentials were not provided.")
    return user


# --- the endpoints -----------------------------------------------------------------------------------


def api_page_size(params) -> int:
    try:
        return positive_int(params["page_size"][0], cutoff=API_MAX_PAGE_SIZE)
    except (KeyError, ValueError):
        return API_PAGE_SIZE


def api_posts(environ, params):
    if environ["REQUEST_METHOD"] == "POST":
        return api_post_create(environ)
    page = Page(params, api_page_size(params), SQL_POSTS_COUNT, None, SQL_POSTS + POST_ORDER, None)
    base = base_url(environ)
    return paginated(page, full_url(environ), [post_json(*r, base) for r in page.rows])


def api_post_create(environ):
    uid, _, username = require_user(environ, named_user=True)
    body = read_json(environ).get("body")
    body = body.strip() if isinstance(body, str) else ""
    if not body:
        raise HTTPError("400 Bad Request", {"body": ["This field may not be blank."]})
    if len(body) > POST_MAX_LENGTH:
        raise HTTPError(
            "400 Bad Request", {"body": [f"Ensure this field has no more than {POST_MAX_LENGTH} characters."]}
        )
    pk, timestamp = query(SQL_POST_INSERT, (body, uid, random.randrange(COUNTER_SLOTS)))[0]
    return "201 Created", post_json(pk, body, timestamp, uid, username, base_url(environ))


def api_users(environ, params):
    page = Page(params, api_page_size(params), SQL_PEOPLE_COUNT, None, SQL_PEOPLE, None)
    base = base_url(environ)
    return paginated(page, full_url(environ), [person_json(r, base) for r in page.rows])


def api_user(environ, params, pk: int):
    method = environ["REQUEST_METHOD"]
    if method == "PATCH":
        return api_user_patch(environ, pk)
    viewer = api_user_id(environ) if "HTTP_AUTHORIZATION" in environ else None
    # The private fields for the person themselves (staff, who also see them, are not benchmarked).
    rows = query(SQL_PERSON_PRIVATE if viewer and viewer[0] == pk else SQL_PERSON, (pk,))
    if not rows:
        raise HTTPError("404 Not Found", "Not found.")
    return person_json(rows[0], base_url(environ))


def api_user_patch(environ, pk: int):
    uid = require_user(environ)[0]
    if uid != pk:
        raise HTTPError("403 Forbidden", "You do not have permission to perform this action.")
    data = read_json(environ)
    about_me = data.get("about_me")
    if set(data) != {"about_me"} or not isinstance(about_me, str):
        raise HTTPError("400 Bad Request", "Only about_me is changed here.")
    rows = query(SQL_ABOUT_ME, (about_me.strip(), pk))
    return person_json(rows[0], base_url(environ))


def api_follow(environ, params, pk: int):
    uid = require_user(environ)[0]
    if environ["REQUEST_METHOD"] == "DELETE":
        if not execute(SQL_UNFOLLOW, (uid, pk)) and not query(SQL_PERSON_EXISTS, (pk,)):
            raise HTTPError("404 Not Found", "Not found.")
        return "204 No Content", None
    if environ["REQUEST_METHOD"] != "POST":
        raise HTTPError("405 Method Not Allowed", f'Method "{environ["REQUEST_METHOD"]}" not allowed.')
    if uid == pk:
        raise HTTPError("400 Bad Request", {"non_field_errors": ["You cannot follow yourself."]})
    try:
        created = bool(query(SQL_FOLLOW, (uid, pk)))
    except psycopg.errors.ForeignKeyViolation:
        raise HTTPError("404 Not Found", "Not found.") from None
    rows = query(SQL_PERSON, (pk,))
    return ("201 Created" if created else "200 OK"), person_json(rows[0], base_url(environ))


def api_feed(environ, params):
    uid = require_user(environ)[0]
    page = Page(params, api_page_size(params), SQL_FEED_COUNT, (uid, uid), SQL_FEED, (uid, uid))
    base = base_url(environ)
    return paginated(page, full_url(environ), [post_json(*r, base) for r in page.rows])


E = html.escape


def html_posts(page: Page, author=None) -> str:
    """The cards of a page of posts (rows of SQL_POSTS, or of SQL_AUTHOR_POSTS with `author` = (id, username))."""
    items = []
    for row in page.rows:
        _pk, body, timestamp, author_id, username = row if author is None else (*row, *author)
        name = E(username)
        items.append(
            f'<article><a href="/user/{name}/"><img src="/avatar/{author_id}.svg" alt="" width="48" height="48"></a> '
            f'<a href="/user/{name}/">{name}</a> <time datetime="{timestamp.isoformat()}">{timestamp:%Y-%m-%d %H:%M}'
            f"</time><p>{E(body)}</p></article>\n"
        )
    nav = f"<nav>Page {page.number} of {page.num_pages}"
    if page.number > 1:
        nav += f' <a href="?page={page.number - 1}">Newer</a>'
    if page.number < page.num_pages:
        nav += f' <a href="?page={page.number + 1}">Older</a>'
    return "".join(items) + nav + "</nav>"


def html_document(title: str, viewer, body: str) -> str:
    who = f'<a href="/user/{E(viewer[1])}/">{E(viewer[1])}</a>' if viewer else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{E(title)} · Microblog</title>'
        f"</head><body><nav>{who}</nav><main>{body}</main></body></html>"
    )


def page_feed(environ, params):
    viewer = session_user(environ)
    if viewer is None:
        return html_document("Microblog", None, "<h1>Welcome</h1>")
    uid = viewer[0]
    page = Page(params, HTML_PAGE_SIZE, SQL_FEED_COUNT, (uid, uid), SQL_FEED, (uid, uid), nearest=True)
    body = f"<h1>Hi, {E(viewer[1])}!</h1><h2>Your feed</h2>{html_posts(page)}"
    return html_document("Home", viewer, body)


def page_profile(environ, params, username: str):
    viewer = session_user(environ)
    viewer_id = viewer[0] if viewer else None
    rows = query(SQL_PROFILE, (viewer_id, username))
    if not rows:
        raise HTTPError("404 Not Found", "No such person.")
    person = rows[0]
    pid, post_count = person[0], person[COUNT]
    # The person's post count (from the same query) pages their posts; the posts need no join.
    page = Page(params, HTML_PAGE_SIZE, post_count, None, SQL_AUTHOR_POSTS, (pid,), nearest=True)
    org = " · ".join(E(person[i + 1]) for i in (ORG + 4, ORG + 2, ORG) if person[i] is not None)
    follow = ""
    if viewer is not None and viewer_id != pid:
        action = "unfollow" if person[COUNT + 3] else "follow"
        follow = f'<form method="post" action="/{action}/{E(person[1])}/"><button>{action.title()}</button></form>'
    seen = f'<time datetime="{person[4].isoformat()}">{person[4]:%Y-%m-%d}</time>' if person[4] else "never"
    body = (
        f'<img src="/avatar/{pid}.svg" alt="" width="128" height="128"><h1>{E(person[1])}</h1>'
        f"<p>{E(person[2])}</p><p>{E(person[3])}</p><p>{org}</p><p>Last seen: {seen}</p>"
        f'<p><strong class="follower-count">{person[COUNT + 1]}</strong> followers · '
        f'<strong class="following-count">{person[COUNT + 2]}</strong> following · {post_count} posts</p>'
        f"{follow}<h2>Posts</h2>{html_posts(page, author=(pid, person[1]))}"
    )
    return html_document(person[1], viewer, body)


ROUTES = [
    (re.compile(r"^/api/posts/$"), api_posts, "json"),
    (re.compile(r"^/api/users/$"), api_users, "json"),
    (re.compile(r"^/api/users/(\d+)/$"), lambda env, params, pk: api_user(env, params, int(pk)), "json"),
    (re.compile(r"^/api/users/(\d+)/follow/$"), lambda env, params, pk: api_follow(env, params, int(pk)), "json"),
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
    status = "200 OK"
    try:
        result = view(environ, params, *match.groups())
        if isinstance(result, tuple):
            status, result = result
    except HTTPError as exc:
        status = exc.status
        if kind != "json":
            result = f"<h1>{E(str(exc.detail))}</h1>"
        else:
            result = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
    except psycopg.OperationalError:
        global _connection
        _connection = None  # reconnect on the next request
        raise
    if result is None:
        start_response(status, [("Content-Length", "0")])
        return [b""]
    if kind == "json":
        body, content_type = json_bytes(result), "application/json"
    else:
        body, content_type = result.encode(), "text/html; charset=utf-8"
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
