"""Where the file cache lives by default (a RAM filesystem), and that its folder is this user's alone."""

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.cache_backends import FileBasedCache, private_folder
from project.settings import BASE_DIR, memory_cache_dir


def test_the_runtime_folder_of_the_user_comes_first(tmp_path):
    folder = memory_cache_dir(BASE_DIR, {"XDG_RUNTIME_DIR": str(tmp_path)})
    assert folder.parent == tmp_path
    assert folder.name.startswith("microblog-")


def test_without_one_a_folder_of_dev_shm_named_after_the_user_and_the_checkout(tmp_path):
    here, elsewhere = memory_cache_dir(BASE_DIR, {}), memory_cache_dir(tmp_path, {})
    assert str(here).startswith("/dev/shm/microblog-")
    assert here != elsewhere  # two checkouts never share a cache


def test_a_missing_folder_is_made_private_with_its_parents(tmp_path):
    leaf = tmp_path / "cache" / "state"
    private_folder(leaf)
    for folder in (tmp_path / "cache", leaf):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_folder_others_can_write_to_is_refused(tmp_path, mode):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    with pytest.raises(ImproperlyConfigured, match="no one else can write"):
        FileBasedCache(str(folder), {})


def test_a_folder_others_can_read_but_not_write_is_taken(tmp_path):
    folder = tmp_path / "readable"
    folder.mkdir()
    folder.chmod(0o755)
    cache = FileBasedCache(str(folder), {})
    cache.set("key", "value")
    assert cache.get("key") == "value"


def test_a_file_where_the_folder_should_be_is_refused(tmp_path):
    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(ImproperlyConfigured):
        FileBasedCache(str(tmp_path / "cache"), {})
