"""GET /api/topology: the topology file, scoped like everything else."""

from tests.support.api_wsgi import Api
from tests.support.site_data import write_machine
from vigie import topology as tp

NOW = 1_800_000_000.0


def world(tmp_path):
    api = Api(tmp_path / "api")
    write_machine(api.machines_dir, "acme-sw", host="198.18.0.1", tags={"provider": "Acme"})
    write_machine(api.machines_dir, "globex-rt", host="198.18.0.2", tags={"provider": "Globex Corp"})
    configs = [{"name": "acme-sw", "host": "198.18.0.1"}, {"name": "globex-rt", "host": "198.18.0.2"}]
    machines = [tp.machine_identity(c) for c in configs]
    topo = tp.observe(tp.empty(), {"address": "198.18.0.1", "name": "acme-sw"}, [
        {"interface": "ge-1", "via": "lldp", "chassis_id": None, "name": "globex-rt", "address": "198.18.0.2",
         "port": "eth0"},
        {"interface": "ge-2", "via": "lldp", "chassis_id": "aa:bb:cc:dd:ee:ff", "name": "acme-phone",
         "address": None, "port": "lan"}], machines, NOW)
    topo = tp.observe(topo, {"address": "198.18.0.2", "name": "globex-rt"}, [
        {"interface": "eth1", "via": "cdp", "chassis_id": None, "name": "globex-printer", "address": None,
         "port": "p1"}], machines, NOW)
    tp.save(tmp_path / "api" / "topology.json", topo)
    assert api.call("POST", "/api/team", "admin", json={"name": "acme", "scope": {"provider": ["Acme"]},
                                                         "members": ["viewer"]}).status == 201
    return api


def test_an_admin_gets_the_whole_topology(tmp_path):
    answer = world(tmp_path).call("GET", "/api/topology", "admin")
    assert answer.status == 200
    assert [n["id"] for n in answer.json["nodes"]] == ["acme-sw", "chassis:aa:bb:cc:dd:ee:ff", "globex-rt",
                                                       "name:globex-printer"]
    assert len(answer.json["links"]) == 3


def test_a_team_member_sees_its_machines_and_their_unmanaged_neighbours_only(tmp_path):
    answer = world(tmp_path).call("GET", "/api/topology", "viewer")
    assert answer.status == 200
    assert [n["id"] for n in answer.json["nodes"]] == ["acme-sw", "chassis:aa:bb:cc:dd:ee:ff"]
    assert [(l["a"]["node"], l["b"]["node"]) for l in answer.json["links"]] == [
        ("acme-sw", "chassis:aa:bb:cc:dd:ee:ff")]
    assert "globex" not in str(answer.json).lower()


def test_no_topology_yet_is_an_empty_one_and_anonymous_is_refused(tmp_path):
    api = Api(tmp_path / "api")
    assert api.call("GET", "/api/topology", "admin").json == {"generated_at": None, "nodes": [], "links": []}
    assert api.client.get("/api/topology").status == 401


def test_a_broken_topology_file_is_a_json_error_without_the_servers_folders(tmp_path):
    api = Api(tmp_path / "api")
    (tmp_path / "api" / "topology.json").write_text("{")
    answer = api.call("GET", "/api/topology", "admin")
    assert answer.status == 500 and "topology file cannot be read" in answer.json["error"]
    assert str(tmp_path) not in answer.json["error"]
