"""Default locations, all relative to the repository root.

Every entry point takes these as defaults for its command-line options, so a
checkout runs as it is and an installed copy points them elsewhere by flags
(see systemd/).
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ALERTFILES_DIR = REPO_ROOT / "alertfiles"
MACHINES_DIR = REPO_ROOT / "machines"
WWW_DIR = REPO_ROOT / "www"
DATA_DIR = REPO_ROOT / "data"
DB_PATH = DATA_DIR / "vigie.db"
SAMPLES_DIR = DATA_DIR / "samples"
LOGS_DIR = DATA_DIR / "logs"
TOKEN_FILE = DATA_DIR / "watcher.token"
API_URL = "http://127.0.0.1:8080"
HEARTBEAT_DIR = DATA_DIR / "heartbeat"
