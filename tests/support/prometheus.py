"""Debian's Prometheus and Alertmanager, and a plain static web server, on 127.0.0.1 for the tests.

    web = StaticServer(folder).start()                       # python -m http.server, any free port
    prom = Prometheus(tmp, [Target(web.url, "/metrics")]).start()
    prom.query("rate(vigie_interface_in_octets_total[10s])", at=1795903720.5)
    am = Alertmanager(tmp, webhook_url, token_file).start()
    am.post_alerts([{"labels": {...}, "annotations": {...}}])

Each listens on a port the test picked free just before, keeps its data under the
test's folder and is stopped by the test.
"""

import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc, timeout: float, what: str, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on {url}:\n{log_path.read_text(errors='replace')[-3000:]}")


class Process:
    """A server process logging to a file under `root`, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, root: Path, name: str):
        self.root, self.name = Path(root), name
        self.root.mkdir(parents=True, exist_ok=True)
        self.proc = None

    def spawn(self, cmd: list) -> None:
        self.log_path = self.root / f"{self.name}.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(c) for c in cmd], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.root)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()


class StaticServer(Process):
    """`python -m http.server` serving a folder: the plain web server of docs/metrics.md's recipe."""

    def __init__(self, folder: Path):
        super().__init__(Path(folder).parent / f".http-{Path(folder).name}", "http")
        self.folder = Path(folder)
        self.port = free_tcp_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> "StaticServer":
        self.spawn([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", self.folder,
                    str(self.port)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("http.server did not start")


@dataclass
class Target:
    url: str                 # http://127.0.0.1:PORT
    path: str = "/metrics"
    token_file: str = None   # a bearer token for the scrape
    job: str = "vigie"       # the job's name: one per target


class Prometheus(Process):
    def __init__(self, root, targets: list, scrape_interval: str = "1s"):
        super().__init__(Path(root) / "prometheus", "prometheus")
        self.port = free_tcp_port()
        self.url = f"http://127.0.0.1:{self.port}"
        jobs = []
        for target in targets:
            job = {"job_name": target.job, "metrics_path": target.path, "scrape_interval": scrape_interval,
                   "scrape_timeout": scrape_interval, "honor_timestamps": True,
                   "static_configs": [{"targets": [target.url.split("://", 1)[1]]}]}
            if target.token_file:
                job["authorization"] = {"type": "Bearer", "credentials_file": str(target.token_file)}
            jobs.append(job)
        self.config = self.root / "prometheus.yml"
        self.config.write_text(json.dumps({"global": {"scrape_interval": scrape_interval}, "scrape_configs": jobs}))

    def start(self, timeout=60.0) -> "Prometheus":
        self.spawn(["/usr/bin/prometheus", f"--config.file={self.config}", f"--storage.tsdb.path={self.root / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn",
                    "--web.enable-lifecycle"])
        wait_http(self.url + "/-/ready", self.proc, timeout, "prometheus", self.log_path)
        return self

    def query(self, expr: str, at: float = None) -> list:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        answer = requests.get(self.url + "/api/v1/query", params=params, timeout=10).json()
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def targets(self) -> list:
        return requests.get(self.url + "/api/v1/targets", timeout=10).json()["data"]["activeTargets"]


class Alertmanager(Process):
    """prometheus-alertmanager with one route: every alert to a webhook (with a bearer token file)."""

    def __init__(self, root, webhook_url: str, token_file=None, group_wait: str = "0s"):
        super().__init__(Path(root) / "alertmanager", "alertmanager")
        self.port = free_tcp_port()
        self.url = f"http://127.0.0.1:{self.port}"
        webhook = {"url": webhook_url, "send_resolved": True}
        if token_file:
            webhook["http_config"] = {"authorization": {"type": "Bearer", "credentials_file": str(token_file)}}
        self.config = self.root / "alertmanager.yml"
        self.config.write_text(json.dumps({
            "route": {"receiver": "vigie", "group_by": ["alertname", "instance"], "group_wait": group_wait,
                      "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": "vigie", "webhook_configs": [webhook]}],
        }))

    def start(self, timeout=60.0) -> "Alertmanager":
        self.spawn(["/usr/bin/prometheus-alertmanager", f"--config.file={self.config}",
                    f"--storage.path={self.root / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
                    "--cluster.listen-address=", "--log.level=warn"])
        wait_http(self.url + "/-/ready", self.proc, timeout, "alertmanager", self.log_path)
        return self

    def post_alerts(self, alerts: list) -> None:
        answer = requests.post(self.url + "/api/v2/alerts", json=alerts, timeout=10)
        assert answer.status_code == 200, answer.text


class VictoriaMetrics(Prometheus):
    """Debian's single-node VictoriaMetrics scraping the same targets (its -promscrape.config
    reads Prometheus' scrape_configs) and answering the same query API."""

    def __init__(self, root, targets: list, scrape_interval: str = "1s"):
        super().__init__(Path(root) / "victoria", targets, scrape_interval)
        self.name = "victoria-metrics"

    def start(self, timeout=60.0) -> "VictoriaMetrics":
        self.spawn(["/usr/bin/victoria-metrics", f"-promscrape.config={self.config}",
                    f"-storageDataPath={self.root / 'data'}", f"-httpListenAddr=127.0.0.1:{self.port}",
                    "-loggerLevel=ERROR", "-retentionPeriod=1d"])
        wait_http(self.url + "/health", self.proc, timeout, "victoria-metrics", self.log_path)
        return self
