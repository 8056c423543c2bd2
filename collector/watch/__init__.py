"""The watcher: alert files dropped in a folder, sent to the API, moved aside."""
