"""The watcher: alert files dropped in a folder, sent to the API, moved aside.

`python -m collector.watch` (cli.py) runs it once or as a daemon (daemon.py);
both drive the one ingest pump (ingest.py), which takes files through the drop
folder's life cycle (drop_folder.py) and posts them with the API client
(api_client.py).
"""
