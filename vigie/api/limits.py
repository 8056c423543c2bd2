"""The API's limits, in one place: the handlers check them and the OpenAPI
document (openapi.py) publishes them, so the two never disagree.

Limits a site may want to change (body size, batch size, page size) are
settings, defined with their defaults in vigie/config.py's [api] section.
"""

import re

from vigie import config

# users
USERNAME_MAX = 64
USERNAME_CHARS = "A-Za-z0-9._@-"
USERNAME_RE = re.compile(f"[{USERNAME_CHARS}]{{1,{USERNAME_MAX}}}")
USERNAME_RULE = f"1-{USERNAME_MAX} letters, digits or . _ - @"
PASSWORD_MIN = 8
# failed logins: vigie/api/throttle.py

# tokens
TOKEN_LABEL_MAX = 100
TOKEN_DAYS_MAX = 3650

# alerts
SOURCE_ID_MAX = 200
PAGE_SIZE = config.default("api.page_size")
MAX_PAGE_SIZE = config.default("api.max_page_size")
OFFSET_MAX = 2 ** 62
MAX_BATCH = config.default("api.max_batch")
UNTIL_MINUTES_MAX = 366 * 24 * 60  # ack, shelve: "minutes" from now, at most a year

# request heads (gunicorn's parser, and vigie/api/worker.py for the whole head)
REQUEST_LINE_MAX = 64 * 1024        # long filter lists fit in a URL; 414 beyond
HEADER_FIELDS_MAX = 100             # 431 beyond
HEADER_FIELD_MAX = 8190             # bytes of one header field line; 431 beyond
HEAD_MAX = REQUEST_LINE_MAX + 32 * 1024  # request line and header fields together; 431 beyond

# request bodies
MAX_BODY_BYTES = config.default("api.max_body_bytes")
