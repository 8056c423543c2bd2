"""The one base class of Vigie's input errors: a bad value, and the field it is in.

Validators in the core (the alert record, machine files, users) raise a
subclass of `InputError`; whoever faces the outside world turns it into its
own shape once: the API into its JSON error (vigie/api/errors.py), a command
line into one log line, the watcher into a rejected file's reason.
"""

import difflib


class InputError(ValueError):
    """A bad input value. `field` names the field concerned (None: the whole input);
    `extra` holds more to report beside it (e.g. a batch `index`)."""

    def __init__(self, field, message, **extra):
        super().__init__(message)
        self.field = field
        self.message = message
        self.extra = extra


class ChannelError(InputError):
    """A notification channel URL that cannot be used; the message never repeats the URL
    (it often holds a password or a token)."""


def nearest(word: str, choices) -> str:
    """"; did you mean 'x'?" naming the known choice closest to an unknown `word`, or ""."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {found[0]!r}?" if found else ""


def refuse_unknown_fields(body: dict, allowed, error=InputError) -> None:
    """Raise `error` naming the first field of `body` not in `allowed`, and the nearest one that is."""
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise error(unknown[0], f"unknown field {unknown[0]!r}{nearest(unknown[0], allowed)}")
