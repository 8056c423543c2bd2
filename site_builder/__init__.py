"""The static web site: reads machine configs, samples and the alerts database,
writes www/ (HTML pages, Plotly graphs, JS and CSS), atomically and incrementally.

Stages: `inputs` (read) -> `context` and `series` (pure: page data, graph data)
-> `render` (Jinja2) -> `writer` (temp + rename, only what changed). `build`
runs them; `python -m site_builder` is the command line.
"""
