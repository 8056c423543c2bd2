"""Cutting a TCP syslog stream into messages (RFC 6587), bounded in memory.

Two framings share one connection type and senders do not announce which they
use, so each frame is told by its first bytes: `LENGTH SP <` is octet
counting (rsyslog's and syslog-ng's RFC 5425/6587 framing), anything else runs
to the next line feed (or NUL) as most devices send it. A frame longer than
`max_bytes` is cut there and marked truncated; the rest of it is read and
dropped without being held in memory.
"""

import re

OCTET_COUNT_RE = re.compile(rb"([1-9][0-9]{0,9}) <")
PARTIAL_COUNT_RE = re.compile(rb"[1-9][0-9]{0,9} ?")
TERMINATORS = (b"\n", b"\x00")


class Framer:
    """Feed it bytes as they arrive; it returns the complete frames as (bytes, truncated)."""

    def __init__(self, max_bytes: int = 8192):
        self.max_bytes = max_bytes
        self.buffer = bytearray()
        self.pos = 0               # start of what is not consumed yet
        self.skip_octets = 0       # rest of an oversize octet-counted frame, to drop
        self.skip_line = False     # rest of an oversize line, to drop up to its end

    def feed(self, data: bytes) -> list:
        self.buffer += data
        frames = []
        while self.pos < len(self.buffer) and self._step(frames):
            pass
        del self.buffer[: self.pos]
        self.pos = 0
        return frames

    def close(self) -> list:
        """What is left when the sender hangs up: an unterminated last line is still a message."""
        rest = bytes(self.buffer[self.pos:])
        self.buffer.clear()
        self.pos = 0
        if not rest.strip(b"\r\n\x00 ") or self.skip_line or self.skip_octets:
            return []
        counted = OCTET_COUNT_RE.match(rest)
        if counted:  # the sender announced more than it sent: keep what came
            rest = rest[counted.end() - 1:]
        return [(rest[: self.max_bytes].rstrip(b"\r\n"), bool(counted) or len(rest) > self.max_bytes)]

    def _step(self, frames: list) -> bool:
        """Take one frame (or part of one to drop) off the buffer; False when more bytes are needed."""
        buffer, pos = self.buffer, self.pos
        if self.skip_octets:
            dropped = min(self.skip_octets, len(buffer) - pos)
            self.pos += dropped
            self.skip_octets -= dropped
            return True
        if self.skip_line:
            return self._skip_to_line_end()
        while pos < len(buffer) and buffer[pos] in b"\n\r\x00 ":
            pos += 1
        self.pos = pos
        if pos == len(buffer):
            return False
        if 48 <= buffer[pos] <= 57:
            match = OCTET_COUNT_RE.match(buffer, pos)
            if match is not None:
                return self._octet_counted(frames, match)
            if PARTIAL_COUNT_RE.fullmatch(buffer, pos):
                return False  # the length, or the message after it, is still arriving
        return self._line(frames)

    def _octet_counted(self, frames: list, match) -> bool:
        length, start = int(match.group(1)), match.end() - 1
        available = len(self.buffer) - start
        if length > self.max_bytes:
            if available < self.max_bytes:
                return False
            frames.append((bytes(self.buffer[start:start + self.max_bytes]), True))
            self.pos = start + self.max_bytes
            self.skip_octets = length - self.max_bytes
            return True
        if available < length:
            return False
        frames.append((bytes(self.buffer[start:start + length]), False))
        self.pos = start + length
        return True

    def _line(self, frames: list) -> bool:
        pos = self.pos
        end = _line_end(self.buffer, pos, pos + self.max_bytes + 1)
        if end is None:
            if len(self.buffer) - pos <= self.max_bytes:
                return False
            frames.append((bytes(self.buffer[pos:pos + self.max_bytes]), True))
            self.pos = pos + self.max_bytes
            self.skip_line = True
            return True
        frames.append((bytes(self.buffer[pos:end]).rstrip(b"\r"), False))
        self.pos = end + 1
        return True

    def _skip_to_line_end(self) -> bool:
        end = _line_end(self.buffer, self.pos, len(self.buffer))
        if end is None:
            self.pos = len(self.buffer)
            return False
        self.pos = end + 1
        self.skip_line = False
        return True


def _line_end(buffer: bytearray, start: int, stop: int):
    """Index of the first LF or NUL in buffer[start:stop], or None."""
    ends = [i for i in (buffer.find(t, start, stop) for t in TERMINATORS) if i >= 0]
    return min(ends) if ends else None
