"""The API's limits, in one place: the handlers check them and the OpenAPI
document (openapi.py) publishes them, so the two never disagree.

Limits a site may want to change (body size, batch size, page size) are
settings (settings.py), whose defaults are read from here.
"""

import re

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
PAGE_SIZE = 100           # default of the page_size setting
MAX_PAGE_SIZE = 1000      # default of the max_page_size setting
OFFSET_MAX = 2 ** 62
MAX_BATCH = 10000         # default of the max_batch setting
UNTIL_MINUTES_MAX = 366 * 24 * 60  # ack, shelve: "minutes" from now, at most a year

# request bodies
MAX_BODY_BYTES = 8 * 1024 * 1024  # default of the max_body_bytes setting
