"""The import's map is per source database: a second microblog with the same ids is not the first one."""

import pytest

from posts.models import Post
from tests.flask_import.helpers import import_flask
from tests.flask_import.sources import MicroblogSource


def _sqlite_microblog(path):
    source = MicroblogSource("sqlite", f"sqlite:///{path}")
    source.create_schema()
    return source


@pytest.fixture
def first_microblog(db, tmp_path):
    source = _sqlite_microblog(tmp_path / "first.db")
    yield source
    source.close()


@pytest.fixture
def second_microblog(db, tmp_path):
    source = _sqlite_microblog(tmp_path / "second.db")
    yield source
    source.close()


def _one_post(source, username: str, body: str) -> None:
    source.post(source.user(username), body)


def test_a_second_database_with_the_same_ids_adds_its_posts_and_changes_none_of_the_first(
    first_microblog, second_microblog
):
    _one_post(first_microblog, "susan", "From the first microblog")
    _one_post(second_microblog, "david", "From the second microblog")  # the same ids: user 1, post 1

    assert import_flask("microblog", first_microblog.url).returncode == 0
    assert import_flask("microblog", second_microblog.url).returncode == 0

    posts = set(Post.objects.values_list("author__username", "body"))
    assert posts == {("susan", "From the first microblog"), ("david", "From the second microblog")}


def test_source_id_finds_what_an_earlier_run_made_when_the_database_moved(first_microblog, tmp_path):
    _one_post(first_microblog, "susan", "Hello")
    assert import_flask("microblog", first_microblog.url, "--source-id", "microblog-production").returncode == 0
    moved = tmp_path / "moved.db"
    first_microblog.close()
    (tmp_path / "first.db").rename(moved)

    again = import_flask("microblog", f"sqlite:///{moved}", "--source-id", "microblog-production")

    assert again.says_nothing_to_change, again
    assert Post.objects.count() == 1
