"""The measured endpoints, their targets, and how the harness authenticates on each.

Shared by the harness (`harness.py`), the Django probe (`probe.py`) and the floor (`floor.py`).
`{user_id}` and `{username}` are filled from the chosen seeded people (see probe.py `auth`).
"""

# kind: "api_list" | "api_detail" | "page"; auth: None (anonymous) | "token" | "session"
ENDPOINTS = [
    {
        "name": "api_posts",
        "label": "GET /api/posts/?page_size=50",
        "path": "/api/posts/?page_size=50",
        "auth": None,
        "kind": "api_list",
    },
    {
        "name": "api_users",
        "label": "GET /api/users/?page_size=10",
        "path": "/api/users/?page_size=10",
        "auth": None,
        "kind": "api_list",
    },
    {
        "name": "api_user",
        "label": "GET /api/users/{id}/",
        "path": "/api/users/{user_id}/",
        "auth": None,
        "kind": "api_detail",
    },
    {"name": "api_feed", "label": "GET /api/feed/ (token)", "path": "/api/feed/", "auth": "token", "kind": "api_list"},
    {
        "name": "page_profile",
        "label": "GET /user/<username>/ (signed in)",
        "path": "/user/{username}/",
        "auth": "session",
        "kind": "page",
    },
    {"name": "page_feed", "label": "GET / (signed in, feed)", "path": "/", "auth": "session", "kind": "page"},
]

# Targets (ratios within one run), for every run: read-only and mixed, file cache and Redis. Minimum req/s
# ratio to the lean floor; maximum statements of any read request under load (a cache hit may need none).
MIN_RATIO = {"api_list": 0.5, "api_detail": 0.5, "page": 0.35}
MAX_QUERIES = {"api_list": 3, "api_detail": 3, "page": 5}
MAX_P99_OVER_P50 = 3.0
MIN_SEED_RATIO = 0.33

# Endpoints whose posts_post queries are EXPLAINed: feed, profile, post list.
EXPLAIN = {"api_posts": "post list", "api_feed": "feed", "page_feed": "feed", "page_profile": "profile"}


def resolve(endpoint: dict, people: dict) -> str:
    """The endpoint's path with the chosen people filled in."""
    return endpoint["path"].format(user_id=people["detail_user_id"], username=people["profile_username"])


def auth_headers(endpoint: dict, people: dict) -> dict[str, str]:
    """HTTP headers that authenticate a request to `endpoint` (empty for anonymous ones)."""
    if endpoint["auth"] == "token":
        return {"Authorization": f"Token {people['token']}"}
    if endpoint["auth"] == "session":
        return session_headers(people)
    return {}


def session_headers(people: dict) -> dict[str, str]:
    """The cookies of a signed-in browser: its session, and the CSRF cookie every page's forms are made for
    (a browser has it from the sign-in page on)."""
    return {
        "Cookie": f"{people['session_cookie']}={people['session_key']}; {people['csrf_cookie']}={people['csrf_secret']}"
    }
