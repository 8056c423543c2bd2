"""Where a checkout keeps its folders: the built-in defaults of the settings of [paths]
(vigie/config.py), from which every other folder derives. An installed copy names its
folders in /etc/vigie/vigie.toml instead."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ALERTFILES_DIR = REPO_ROOT / "alertfiles"
MACHINES_DIR = REPO_ROOT / "machines"
WWW_DIR = REPO_ROOT / "www"
DATA_DIR = REPO_ROOT / "data"
