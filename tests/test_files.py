"""One bounded reader for every file: regular files and named pipes only, no further than a limit."""
from __future__ import annotations

import os
import socket
import threading

import pytest

from advisor.errors import InputError
from advisor.inputs.files import read_file, regular_files

needs_devices = pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")


def problem(error: pytest.ExceptionInfo[InputError]) -> str:
    return str(error.value.problems[0])


def test_a_regular_file_is_read_up_to_its_limit(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_bytes(b"x" * 100)
    assert read_file(path, 100) == b"x" * 100
    with pytest.raises(InputError) as error:
        read_file(path, 99)
    assert problem(error) == f"{path}: file too large: over the limit of 99 bytes"


@needs_devices
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused_from_its_type(device):
    with pytest.raises(InputError) as error:
        read_file(device)
    assert problem(error) == f"{device}: cannot read the file: it is a device, not a file"


@needs_devices
def test_a_link_to_a_device_is_refused_too(tmp_path):
    link = tmp_path / "rules.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError) as error:
        read_file(link)
    assert problem(error) == f"{link}: cannot read the file: it is a device, not a file"


def test_a_folder_and_a_socket_are_refused(tmp_path):
    with pytest.raises(InputError) as error:
        read_file(tmp_path)
    assert problem(error) == f"{tmp_path}: cannot read the file: it is a folder, not a file"
    server = socket.socket(socket.AF_UNIX)
    path = tmp_path / "s.yaml"
    try:
        server.bind(str(path))
        with pytest.raises(InputError) as error:
            read_file(path)
    finally:
        server.close()
    assert problem(error) == f"{path}: cannot read the file: it is a socket, not a file"


def test_a_named_pipe_is_read_under_the_same_bound(tmp_path):
    fifo = tmp_path / "generated.yaml"
    os.mkfifo(fifo)

    def write(data: bytes) -> None:
        with open(fifo, "wb") as stream:
            try:
                stream.write(data)
            except BrokenPipeError:  # the reader stopped at its limit
                pass

    writer = threading.Thread(target=write, args=(b"title: x\n",))
    writer.start()
    assert read_file(fifo) == b"title: x\n"
    writer.join()

    writer = threading.Thread(target=write, args=(b"#" * 5000,))
    writer.start()
    with pytest.raises(InputError) as error:
        read_file(fifo, 1000)
    writer.join()
    assert problem(error).startswith(f"{fifo}: file too large: over the limit of 1000 bytes")


def test_a_pipe_is_refused_without_waiting_where_only_files_are_expected(tmp_path):
    fifo = tmp_path / "a.yaml"
    os.mkfifo(fifo)  # no writer will ever come: reading it would wait for ever
    with pytest.raises(InputError) as error:
        read_file(fifo, pipes=False)
    assert problem(error) == (f"{fifo}: cannot read the file: it is a pipe, and only a file named on the command "
                              "line may be a pipe")


def test_a_walk_takes_regular_files_only(tmp_path):
    (tmp_path / "b.yaml").write_text("b")
    (tmp_path / "a.yml").write_text("a")
    (tmp_path / ".hidden.yaml").write_text("h")
    (tmp_path / "notes.txt").write_text("n")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "linked.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "broken.yaml").symlink_to(tmp_path / "missing.yaml")
    if os.path.exists("/dev/zero"):
        (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.yaml").write_text("c")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.yaml").write_text("d")
    (tmp_path / "folder.yaml").mkdir()
    names = [os.path.relpath(p, tmp_path) for p in regular_files(tmp_path, (".yaml", ".yml"))]
    assert names == ["a.yml", "b.yaml", "linked.yaml"]
    names = [os.path.relpath(p, tmp_path) for p in regular_files(tmp_path, (".yaml",), recursive=True,
                                                                 hidden_files=True)]
    assert names == [".hidden.yaml", "b.yaml", "linked.yaml", os.path.join("sub", "c.yaml")]


def test_a_walk_may_ignore_the_case_of_suffixes(tmp_path):
    (tmp_path / "TEAM.ICS").write_text("x")
    (tmp_path / "team.ics").write_text("x")
    assert [os.path.basename(p) for p in regular_files(tmp_path, (".ics",), ignore_case=True)] == ["TEAM.ICS",
                                                                                                   "team.ics"]
