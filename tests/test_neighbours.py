"""LLDP-MIB and CISCO-CDP-MIB columns, as walked, turned into neighbours (pure)."""

from collector.snmp import neighbours as nb

MAC_LOCAL = bytes.fromhex("92e9cde7ae8b")
MAC_REMOTE = bytes.fromhex("36e340d8b133")


def lldpd_columns():
    """What lldpd's AgentX sub-agent served in a namespace (one neighbour on port 2)."""
    return {
        nb.LOC_CHASSIS_SUBTYPE: {"0": 4}, nb.LOC_CHASSIS_ID: {"0": MAC_LOCAL}, nb.LOC_SYS_NAME: {"0": b"core"},
        nb.LOC_PORT_ID_SUBTYPE: {"2": 3}, nb.LOC_PORT_ID: {"2": MAC_LOCAL}, nb.LOC_PORT_DESC: {"2": b"x1"},
        nb.REM_CHASSIS_SUBTYPE: {"400.2.2": 4}, nb.REM_CHASSIS_ID: {"400.2.2": MAC_REMOTE},
        nb.REM_PORT_ID_SUBTYPE: {"400.2.2": 5}, nb.REM_PORT_ID: {"400.2.2": b"y1"},
        nb.REM_PORT_DESC: {"400.2.2": b"uplink"}, nb.REM_SYS_NAME: {"400.2.2": b"dist-1"},
        nb.REM_MAN_ADDR_IF_SUBTYPE: {"400.2.2.1.4.198.18.0.2": 2,
                                     "400.2.2.2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.2": 2},
    }


def test_lldp_neighbours_from_lldpd_columns():
    found = nb.neighbours_from_columns(lldpd_columns())
    assert found == {"chassis_id": "92:e9:cd:e7:ae:8b", "sys_name": "core", "neighbours": [
        {"interface": "x1", "via": "lldp", "chassis_id": "36:e3:40:d8:b1:33", "name": "dist-1",
         "address": "198.18.0.2", "port": "y1"}]}


def test_a_port_id_that_is_a_mac_gives_way_to_the_port_description():
    columns = lldpd_columns()
    columns[nb.REM_PORT_ID_SUBTYPE]["400.2.2"] = 3
    columns[nb.REM_PORT_ID]["400.2.2"] = MAC_REMOTE
    assert nb.neighbours_from_columns(columns)["neighbours"][0]["port"] == "uplink"
    del columns[nb.REM_PORT_DESC]["400.2.2"]
    assert nb.neighbours_from_columns(columns)["neighbours"][0]["port"] == "36:e3:40:d8:b1:33"


def test_a_local_port_without_lldp_name_is_the_interface_of_that_ifindex():
    columns = lldpd_columns()
    for column in (nb.LOC_PORT_ID_SUBTYPE, nb.LOC_PORT_ID, nb.LOC_PORT_DESC):
        columns[column] = {}
    found = nb.neighbours_from_columns(columns, [{"index": 2, "name": "ge-0/0/1"}])
    assert found["neighbours"][0]["interface"] == "ge-0/0/1"


def test_a_chassis_id_of_another_subtype_is_its_text_or_address():
    assert nb.chassis_text(7, b"switch-serial-42") == "switch-serial-42"
    assert nb.chassis_text(5, bytes([1, 198, 18, 0, 7])) == "198.18.0.7"
    assert nb.chassis_text(4, b"RT\x00\x124V") == "52:54:00:12:34:56"


def test_cdp_cache_rows_become_neighbours_on_named_interfaces():
    columns = {
        nb.CDP_ADDRESS_TYPE: {"3.1": 1, "4.7": 1},
        nb.CDP_ADDRESS: {"3.1": bytes([127, 0, 0, 5]), "4.7": b"\x01\x02"},
        nb.CDP_DEVICE_ID: {"3.1": b"dist-2.example.org", "4.7": b"nexus-9(FOX1234ABCD)"},
        nb.CDP_DEVICE_PORT: {"3.1": b"GigabitEthernet0/1", "4.7": b"Ethernet1/1"},
    }
    found = nb.neighbours_from_columns(columns, [{"index": 3, "name": "Gi0/3"}])
    assert found == {"chassis_id": None, "sys_name": None, "neighbours": [
        {"interface": "Gi0/3", "via": "cdp", "chassis_id": None, "name": "dist-2.example.org",
         "address": "127.0.0.5", "port": "GigabitEthernet0/1"},
        {"interface": "4", "via": "cdp", "chassis_id": None, "name": "nexus-9", "address": None,
         "port": "Ethernet1/1"}]}


def test_no_lldp_nor_cdp_is_no_neighbour():
    assert nb.neighbours_from_columns({}) == {"chassis_id": None, "sys_name": None, "neighbours": []}


def test_the_mibs_a_device_has_are_told_by_the_first_object_after_each_root():
    lldp_root, cdp_root = nb.ROOTS["lldp"], nb.ROOTS["cdp"]
    assert nb.mibs_present([(f"{lldp_root}.1.0", 4), ("1.3.6.1.4.1.2021.4.1.0", 0)]) == {"lldp"}
    assert nb.mibs_present([("1.3.6.1.2.1.1.1.0", "x"), (f"{cdp_root}.3.1.1", 1)]) == {"cdp"}
    assert nb.mibs_present([("1.3.6.1.2.1.1.1.0", "x"), ("1.3.6.1.4.1.2021.4.1.0", 0)]) == set()
    assert nb.mibs_present([(lldp_root, None), (cdp_root, None)]) == set()
