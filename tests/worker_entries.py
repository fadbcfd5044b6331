"""Work for the spreadsheet worker process that only tests ask for (sheets.isolated.run names it)."""
import os
import time


def allocate(request, send):
    """Asks for more memory than the worker may have."""
    send(("rows", [[len(bytearray(2 * 1024 ** 3))]]))


def crash(request, send):
    """Dies with no word at all."""
    os._exit(3)


def hang(request, send):
    send(("rows", [["第一行"]]))
    while True:
        time.sleep(1)


class PanicException(BaseException):
    """What pyo3 raises when Rust code panics: a BaseException, not an Exception."""


def panic(request, send):
    raise PanicException("called `Option::unwrap()` on a `None` value")


def smuggle(request, send):
    """Sends a frame whose unpickling would make the parent create the file request["path"]."""
    send(("rows", [[Smuggler(request["path"])]]))


class Smuggler:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return os.mkdir, (self.path,)


def echo(request, send):
    """Sends back the frames it was given."""
    for frame in request["frames"]:
        send(tuple(frame))


def pid(request, send):
    """Says which process did the work."""
    send(("rows", [[os.getpid()]]))
