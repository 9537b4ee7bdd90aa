"""The contract of the papers' store (digitize/storage/paper_files.PaperFiles): what every store —
the archive's folder today, an S3-compatible bucket tomorrow — must do for the archive to trust it.
A new store joins by adding its factory to STORES."""

from __future__ import annotations

import hashlib
import io

import pytest

from digitize.errors import BadArgument
from digitize.storage.folder_files import FolderFiles
from digitize.storage.paper_files import paper_key
from digitize.storage.paper_stores import open_paper_files

STORES = {"folder": lambda root: FolderFiles(root, root / "tmp")}
OLD, NEW = b"%PDF-1.7 old copy\n" * 1000, b"%PDF-1.7 new copy\n" * 3000
KEY = paper_key("ab" + "0" * 62)


class Crash(Exception):
    pass


@pytest.fixture(params=sorted(STORES))
def store(request, tmp_path):
    (tmp_path / "tmp").mkdir()
    return STORES[request.param](tmp_path)


def test_what_is_put_is_read_back_whole(store, tmp_path):
    source = tmp_path / "source.pdf"
    source.write_bytes(OLD)
    assert not store.exists(KEY)

    digest = store.put(KEY, source)

    assert digest == hashlib.sha256(OLD).hexdigest() == store.sha256(KEY)
    assert store.exists(KEY) and store.size(KEY) == len(OLD) and list(store.keys()) == [KEY]
    with store.open(KEY) as f:
        assert f.read() == OLD
    with store.local_path(KEY) as path:
        assert path.read_bytes() == OLD


def test_a_stream_is_stored_and_a_later_version_is_a_key_of_its_own(store):
    signed = paper_key("ab" + "0" * 62, "s1")
    store.put(KEY, io.BytesIO(OLD))
    store.put(signed, io.BytesIO(NEW))
    assert sorted(store.keys()) == sorted([KEY, signed])
    assert store.sha256(KEY) == hashlib.sha256(OLD).hexdigest() and store.size(signed) == len(NEW)


def test_a_reader_sees_the_whole_old_file_or_the_whole_new_one(store):
    store.put(KEY, io.BytesIO(OLD))
    with store.open(KEY) as before:
        store.put(KEY, io.BytesIO(NEW))
        assert before.read() == OLD
    with store.open(KEY) as after:
        assert after.read() == NEW


def test_a_write_that_fails_midway_leaves_the_old_file_and_no_partial_one(store, tmp_path):
    store.put(KEY, io.BytesIO(OLD))

    class Failing(io.BytesIO):
        def read(self, n=-1):
            if self.tell() > len(NEW) // 2:
                raise OSError("the scanner's share went away")
            return super().read(n)

    with pytest.raises(OSError):
        store.put(KEY, Failing(NEW))
    assert store.sha256(KEY) == hashlib.sha256(OLD).hexdigest()
    assert list(store.keys()) == [KEY] and not list((tmp_path / "tmp").iterdir())


def test_a_crash_before_the_rename_leaves_the_old_file(tmp_path):
    (tmp_path / "tmp").mkdir()

    def crash(name):
        if name == "pdf-write":
            raise Crash(name)

    folder = FolderFiles(tmp_path, tmp_path / "tmp", crash)
    FolderFiles(tmp_path, tmp_path / "tmp").put(KEY, io.BytesIO(OLD))
    with pytest.raises(Crash):
        folder.put(KEY, io.BytesIO(NEW))
    assert folder.sha256(KEY) == hashlib.sha256(OLD).hexdigest()


def test_a_missing_file_is_file_not_found_and_removing_it_twice_is_nothing(store):
    with pytest.raises(FileNotFoundError):
        store.open(KEY)
    with pytest.raises(FileNotFoundError):
        with store.local_path(KEY):
            pass
    store.put(KEY, io.BytesIO(OLD))
    store.remove(KEY)
    store.remove(KEY)
    assert not store.exists(KEY) and list(store.keys()) == []


def test_a_file_set_aside_leaves_the_papers_and_keeps_its_bytes(store):
    store.put(KEY, io.BytesIO(OLD))
    store.put(paper_key("cd" + "1" * 62), io.BytesIO(NEW))
    where = store.set_aside(KEY)
    assert not store.exists(KEY) and KEY not in list(store.keys())
    assert where != KEY and store.age(paper_key("cd" + "1" * 62)) >= 0


def test_no_location_is_the_archive_folder_and_an_unknown_scheme_is_refused_in_one_line(tmp_path):
    assert isinstance(open_paper_files(None, tmp_path), FolderFiles)
    with pytest.raises(BadArgument) as refused:
        open_paper_files("s3://bucket/papers", tmp_path)
    message = str(refused.value)
    assert "\n" not in message and "s3://" in message and "SOHOA_PAPERS" in message
