"""`dbt docs generate` works offline on a scratch warehouse and documents the published models and the
dashboards (exposures).

Offline is checked, not assumed: the dbt processes import a sitecustomize that refuses every IPv4/IPv6
connection and every name lookup other than localhost, and records the attempt, so a command that needed
the network would fail here or leave a trace.
"""

import json
import os
import subprocess
import textwrap

from ingestion.common.loader import ensure_warehouse
from orchestration.environment import DBT_PROJECT_DIR, dbt_executable
from warehouse.connection import connect
from warehouse.settings import REPO_ROOT

# model name -> the table it publishes (kpi_catalogue is published under the alias kpi_definitions)
PUBLISHED = {"kpi_values": "kpi_values", "kpi_catalogue": "kpi_definitions", "fct_payments": "fct_payments",
             "savings": "savings"}

OFFLINE_SITECUSTOMIZE = textwrap.dedent(
    """
    import os
    import socket

    _LOG = os.environ["PROCURE_TEST_NETWORK_LOG"]
    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
    _getaddrinfo = socket.getaddrinfo
    _LOCAL = (None, "", "localhost", "127.0.0.1", "::1")


    def _record(what):
        with open(_LOG, "a") as log:
            log.write(what + "\\n")


    def _refuse(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            _record("connect " + repr(address))
            raise OSError("network access refused by tests/dbt/test_dbt_docs.py")


    def connect(self, address):
        _refuse(self, address)
        return _connect(self, address)


    def connect_ex(self, address):
        _refuse(self, address)
        return _connect_ex(self, address)


    def getaddrinfo(host, *args, **kwargs):
        if host not in _LOCAL:
            _record("resolve " + repr(host))
            raise socket.gaierror("name resolution refused by tests/dbt/test_dbt_docs.py")
        return _getaddrinfo(host, *args, **kwargs)


    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.getaddrinfo = getaddrinfo
    """
)


def _dbt(args, env, tmp_path):
    proc = subprocess.run(
        [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"dbt {args[0]} failed:\n" + proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc


def test_dbt_docs_generate_offline(tmp_path):
    wh = tmp_path / "wh.duckdb"
    with connect(wh) as con:
        ensure_warehouse(con)
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "sitecustomize.py").write_text(OFFLINE_SITECUSTOMIZE)
    network_log = tmp_path / "network_attempts.log"
    env = {
        **os.environ,
        "PROCURE_WAREHOUSE": str(wh),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(offline), os.environ.get("PYTHONPATH")])),
        "PROCURE_TEST_NETWORK_LOG": str(network_log),
    }

    # the catalog describes relations that exist: build the models (and the seeds they read) first
    _dbt(["build", "--resource-type", "seed", "--resource-type", "model"], env, tmp_path)
    _dbt(["docs", "generate"], env, tmp_path)

    assert not network_log.exists(), "dbt tried to reach the network:\n" + network_log.read_text()
    target = tmp_path / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    assert (target / "index.html").exists()

    for model, table in PUBLISHED.items():
        unique_id = f"model.procure.{model}"
        node = manifest["nodes"][unique_id]
        assert node["description"].strip(), f"{model} has no description"
        assert (node.get("alias") or node["name"]) == table
        assert node["schema"] in ("marts", "kpi"), f"{model} is not in a published schema"
        assert unique_id in catalog["nodes"], f"{model} is missing from catalog.json"
        assert catalog["nodes"][unique_id]["metadata"]["name"] == table
        assert catalog["nodes"][unique_id]["columns"], f"{model} has no columns in catalog.json"
    assert manifest["nodes"]["model.procure.kpi_values"]["columns"]["status"]["description"].strip()

    exposures = manifest["exposures"]
    # one exposure per dashboard page, at the page's URL
    from dashboards.registry import PAGES

    urls = {e["url"] for e in exposures.values()}
    assert urls == {f"http://127.0.0.1:8501/{p.url_path}" for p in PAGES}
    for unique_id, exposure in exposures.items():
        assert exposure["type"] == "dashboard", unique_id
        assert exposure["description"].strip(), unique_id
        assert exposure["owner"]["name"] and exposure["owner"]["email"], unique_id
        assert exposure["maturity"] in ("low", "medium", "high"), unique_id
        depends_on = exposure["depends_on"]["nodes"]
        assert depends_on, unique_id
        for node_id in depends_on:
            assert manifest["nodes"][node_id]["schema"] in ("marts", "kpi"), (unique_id, node_id)
    # every published table the dashboard's queries read is behind some page's exposure
    import re

    read = set(re.findall(r"main\.(\w+)", (REPO_ROOT / "dashboards" / "data.py").read_text())) - {"snapshot_manifest"}
    behind = {manifest["nodes"][n].get("alias") or manifest["nodes"][n]["name"]
              for e in exposures.values() for n in e["depends_on"]["nodes"]}
    assert read and read <= behind, read - behind
