"""vigie/atomic.py: a reader sees a whole old file or a whole new one, never a part."""

from vigie import atomic


def test_a_file_rewritten_through_its_spare_reads_whole_and_keeps_no_temp_file(tmp_path):
    path = tmp_path / "now.json"
    atomic.atomic_rewrite(path, b"first\n")
    assert path.read_bytes() == b"first\n"
    atomic.atomic_rewrite(path, b"second, longer\n")
    atomic.atomic_rewrite(path, b"third\n")            # shorter: nothing of the longer one left
    assert path.read_bytes() == b"third\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".now.json.spare", "now.json"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_names_are_swapped_so_no_inode_is_made_again(tmp_path):
    """Where the file system swaps names (renameat2 RENAME_EXCHANGE: ext4, tmpfs, xfs, btrfs),
    the file and its spare trade places: the same two inodes at every write."""
    path = tmp_path / "live.json"
    atomic.atomic_rewrite(path, b"1")
    atomic.atomic_rewrite(path, b"2")
    inodes = {path.stat().st_ino, atomic.spare_path(path).stat().st_ino}
    for n in range(3, 7):
        atomic.atomic_rewrite(path, str(n).encode())
        assert {path.stat().st_ino, atomic.spare_path(path).stat().st_ino} == inodes
        assert path.read_bytes() == str(n).encode() and atomic.spare_path(path).read_bytes() == str(n - 1).encode()


def test_a_reader_that_opened_the_file_reads_the_old_content_whole(tmp_path):
    path = tmp_path / "live.json"
    atomic.atomic_rewrite(path, b"old " * 1000)
    with open(path, "rb") as reader:
        atomic.atomic_rewrite(path, b"new " * 2000)
        assert reader.read() == b"old " * 1000
    assert path.read_bytes() == b"new " * 2000


def test_a_spare_left_half_written_by_a_crash_never_shows(tmp_path):
    path = tmp_path / "now.json"
    atomic.atomic_rewrite(path, b"good\n")
    atomic.spare_path(path).write_bytes(b'{"half": ')     # killed while writing the spare
    assert path.read_bytes() == b"good\n"
    atomic.atomic_rewrite(path, b"next\n")
    assert path.read_bytes() == b"next\n"


def test_without_the_swap_the_spare_is_renamed_into_place(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic, "_renameat2", None)
    path = tmp_path / "now.json"
    for n in range(3):
        atomic.atomic_rewrite(path, f"{n}\n".encode())
        assert path.read_bytes() == f"{n}\n".encode()
    assert not atomic.spare_path(path).exists()


def test_a_link_in_the_spares_place_is_replaced_not_written_through(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"keep me")
    path = tmp_path / "now.json"
    atomic.atomic_rewrite(path, b"1")
    atomic.spare_path(path).symlink_to(target)
    atomic.atomic_rewrite(path, b"2")
    assert target.read_bytes() == b"keep me"
    assert path.read_bytes() == b"2" and not path.is_symlink()
