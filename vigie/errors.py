"""The one base class of Vigie's input errors: a bad value, and the field it is in.

Validators in the core (the alert record, machine files, users) raise a
subclass of `InputError`; whoever faces the outside world turns it into its
own shape once: the API into its JSON error (vigie/api/errors.py), a command
line into one log line, the watcher into a rejected file's reason.
"""


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
