"""TCP syslog framing (RFC 6587) on literal streams, byte by byte and in one piece."""

import pytest

from collector.syslog.framing import Framer


def frames_of(stream: bytes, max_bytes=64, step=None):
    framer = Framer(max_bytes)
    out = []
    step = step or len(stream) or 1
    for i in range(0, len(stream), step):
        out += framer.feed(stream[i:i + step])
    return out + framer.close()


@pytest.mark.parametrize("step", [1, 3, None])
def test_octet_counted_and_newline_framed_on_one_connection(step):
    stream = b"11 <13>hello\nx" + b"<13>line one\n" + b"\n\n<13>line two\r\n" + b"9 <13>a b c"
    assert frames_of(stream, step=step) == [(b"<13>hello\nx", False), (b"<13>line one", False),
                                            (b"<13>line two", False), (b"<13>a b c", False)]


def test_nul_ends_a_frame_too():
    assert frames_of(b"<13>one\x00<13>two\x00") == [(b"<13>one", False), (b"<13>two", False)]


@pytest.mark.parametrize("step", [1, 7, None])
def test_oversize_octet_counted_frame_is_cut_and_the_rest_dropped(step):
    body = b"<13>" + b"x" * 100
    stream = b"%d " % len(body) + body + b"5 <13>y"
    assert frames_of(stream, max_bytes=20, step=step) == [(body[:20], True), (b"<13>y", False)]


@pytest.mark.parametrize("step", [1, 7, None])
def test_oversize_line_is_cut_and_the_rest_dropped(step):
    stream = b"<13>" + b"z" * 100 + b"\n<13>next\n"
    assert frames_of(stream, max_bytes=20, step=step) == [((b"<13>" + b"z" * 100)[:20], True), (b"<13>next", False)]


def test_unterminated_last_line_counts_when_the_sender_hangs_up():
    assert frames_of(b"<13>no newline") == [(b"<13>no newline", False)]


def test_digits_that_are_not_an_octet_count_are_a_line():
    assert frames_of(b"2026 was a good year\n") == [(b"2026 was a good year", False)]


def test_memory_stays_bounded_on_an_endless_line():
    framer = Framer(100)
    for _ in range(1000):
        framer.feed(b"a" * 1000)
    assert len(framer.buffer) <= 1000


def test_a_frame_shorter_than_announced_is_kept_when_the_sender_hangs_up():
    assert frames_of(b"500 <13>short\n") == [(b"<13>short", True)]
