"""The scan's signal handling leaves the caller's handlers as it found them, even when a signal
arrives half-way through a change (forensic.engine.signals)."""

from __future__ import annotations

import os
import signal

import pytest

from forensic.engine import signals


def _mine(signum, frame):  # a caller's own handler
    pass


@pytest.fixture
def own_handlers():
    saved = {sig: signal.getsignal(sig) for sig in signals.SIGNALS}
    for sig in signals.SIGNALS:
        signal.signal(sig, _mine)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_deferred_ignores_both_and_puts_back_the_callers(own_handlers):
    with signals.deferred():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
        os.kill(os.getpid(), signal.SIGTERM)  # ignored: the record of how the scan ended goes on
    assert signal.getsignal(signal.SIGINT) is _mine and signal.getsignal(signal.SIGTERM) is _mine


def test_a_signal_half_way_into_deferred_leaves_nothing_ignored(own_handlers, monkeypatch):
    """Ctrl-C's handler runs between two handler changes (Python runs handlers between any two
    bytecodes): the first change must still be undone. The scan's old helper built its saved
    handlers in one expression and left SIGINT ignored for good in this case."""
    real = signal.signal
    calls = []

    def interrupted_after_the_first(sig, handler):
        previous = real(sig, handler)
        calls.append(sig)
        if len(calls) == 1 and handler is signal.SIG_IGN:
            raise KeyboardInterrupt  # what a pending SIGTERM handler raises at that moment
        return previous

    monkeypatch.setattr(signal, "signal", interrupted_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        with signals.deferred():
            pass
    monkeypatch.undo()
    assert calls[0] == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is _mine and signal.getsignal(signal.SIGTERM) is _mine


def test_sigterm_interrupts_raises_terminated_then_puts_back_the_callers(own_handlers):
    with pytest.raises(signals.Terminated):
        with signals.sigterm_interrupts():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes, at the latest here
                pass
    assert isinstance(signals.Terminated(), KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is _mine and signal.getsignal(signal.SIGINT) is _mine


def test_kept_undoes_what_a_library_installs(own_handlers):
    def librarys(signum, frame):
        raise SystemExit(signum)

    with signals.kept():
        signal.signal(signal.SIGTERM, librarys)  # what ray.init does in the calling process
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    assert signal.getsignal(signal.SIGTERM) is _mine and signal.getsignal(signal.SIGINT) is _mine


def test_handlers_python_did_not_install_are_left_alone():
    signals.restore({signal.SIGTERM: None})  # getsignal's None: cannot be put back, not an error
    assert signals.current().keys() == set(signals.SIGNALS)
