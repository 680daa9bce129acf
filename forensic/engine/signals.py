"""How a scan treats Ctrl-C and SIGTERM, and how it leaves them for whoever called it.

* while it works, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in the main thread, so a
  terminated scan ends the way Ctrl-C ends it: recorded, resumable (:func:`sigterm_interrupts`);
* while it records how it ended, both are ignored, so a second signal cannot cut that record short
  (:func:`deferred`);
* when it returns, the caller's own handlers are back (:func:`kept`): starting Ray installs a SIGTERM
  handler of its own (``sys.exit``) in the calling process, and a library caller must not inherit it.

Handlers are read with :func:`signal.getsignal` before they are replaced, so a signal that arrives
half-way through a change cannot leave one ignored for good. A handler Python did not install
(``getsignal`` gives None) cannot be put back from Python and is left as it is. Off the main thread
Python cannot change handlers: all three do nothing there.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the scan's thread the way Ctrl-C raises KeyboardInterrupt."""


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def current() -> dict[int, Any]:
    """This process's Python-level SIGINT and SIGTERM handlers ({} off the main thread)."""
    return {sig: signal.getsignal(sig) for sig in SIGNALS} if _main_thread() else {}


def restore(handlers: dict[int, Any]) -> None:
    """Put back handlers read by :func:`current` (None ones are left as they are)."""
    if not _main_thread():
        return
    for sig, handler in handlers.items():
        if handler is not None and signal.getsignal(sig) is not handler:
            signal.signal(sig, handler)


def _raise_terminated(signum, frame):
    raise Terminated()


def sigterm_raises() -> None:
    """SIGTERM raises :class:`Terminated` from now on (again after a library installed its own)."""
    if _main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """The SIGINT and SIGTERM handlers found at entry are the ones in place at exit."""
    saved = current()
    try:
        yield
    finally:
        restore(saved)


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` inside the block; the handler found at entry afterwards."""
    with kept():
        sigterm_raises()
        yield


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM ignored inside the block; the handlers found at entry afterwards."""
    with kept():
        if _main_thread():
            for sig in SIGNALS:
                if signal.getsignal(sig) is not None:
                    signal.signal(sig, signal.SIG_IGN)
        yield
