"""A routed test network: the collector reaches the devices through the devices in front
of them, as in a real network, so a device that dies cuts off everything behind it.

Built on LldpNetwork (namespaces, veth cables, lldpd speaking LLDP, snmpd serving the
LLDP-MIB), with the management bridge replaced by routing: the first device (the core)
is cabled to the management namespace, where the tests run the collector; every device
has its address on its loopback (198.18.1.x/32), each cable a /30 of 198.18.2.0/24, and
static routes along the tree (the cables are given parent first). `freeze(device)`
makes a device dead to the others (its snmpd stopped, forwarding off), `thaw` brings it
back; `unplug` and `plug` take its ports down and up.
"""

import signal
import subprocess

from tests.support.lldp_network import LldpNetwork, ip

LOOPBACKS = "198.18.1"
CABLE_NET = "198.18.2"
UPLINK = ("198.18.3.1", "198.18.3.2")   # the management namespace's end, the core's end


def sysctl(namespace: str, setting: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, "sysctl", "-q", "-w", setting], check=True,
                   capture_output=True)


class RoutedNetwork(LldpNetwork):
    def __init__(self, root, devices: list, cables: list):
        super().__init__(root, devices, cables)
        self.parent = {child: parent for parent, child in cables}
        self.snmpd = {}
        self.cable_ends = {}    # (device, neighbour) -> (its port, its address on the cable)

    def address(self, device: str) -> str:
        return f"{LOOPBACKS}.{self.devices.index(device) + 1}"

    def subtree(self, device: str) -> list:
        below = [device]
        for child, parent in self.parent.items():
            if parent == device:
                below += self.subtree(child)
        return below

    def _make_namespaces(self) -> None:
        for namespace in [self.management, *self.namespaces.values()]:
            ip("netns", "add", namespace)
            ip("-n", namespace, "link", "set", "lo", "up")
        for device, namespace in self.namespaces.items():
            ip("-n", namespace, "addr", "add", f"{self.address(device)}/32", "dev", "lo")
            sysctl(namespace, "net.ipv4.ip_forward=1")
        core = self.namespaces[self.devices[0]]
        outside, inside = f"{self.tag}c", f"{self.tag}u"   # not {tag}p*: no LLDP toward the collector
        ip("link", "add", outside, "netns", self.management, "type", "veth", "peer", "name", inside, "netns", core)
        for namespace, name, address in ((self.management, outside, UPLINK[0]), (core, inside, UPLINK[1])):
            ip("-n", namespace, "addr", "add", f"{address}/30", "dev", name)
            ip("-n", namespace, "link", "set", name, "up")
        ip("-n", self.management, "route", "add", f"{LOOPBACKS}.0/24", "via", UPLINK[1])
        ip("-n", core, "route", "add", "default", "via", UPLINK[0])

    def _cable(self) -> None:
        super()._cable()
        for k, (one, port_a, other, port_b) in enumerate(self.expected_links):
            for device, port, neighbour, host in ((one, port_a, other, 1), (other, port_b, one, 2)):
                address = f"{CABLE_NET}.{4 * k + host}"
                ip("-n", self.namespaces[device], "addr", "add", f"{address}/30", "dev", port)
                self.cable_ends[(device, neighbour)] = (port, address)
        for child, parent in self.parent.items():
            ip("-n", self.namespaces[child], "route", "add", "default", "via", self.cable_ends[(parent, child)][1])
        for device in self.devices:
            for below in self.subtree(device)[1:]:
                hop = self._child_towards(device, below)
                ip("-n", self.namespaces[device], "route", "add", f"{self.address(below)}/32", "via",
                   self.cable_ends[(hop, device)][1])

    def _child_towards(self, ancestor: str, device: str) -> str:
        """The child of `ancestor` on the way down to `device`."""
        while self.parent[device] != ancestor:
            device = self.parent[device]
        return device

    def _start_device(self, device: str) -> None:
        first = len(self.procs)
        super()._start_device(device)
        self.snmpd[device] = self.procs[first]

    def freeze(self, device: str) -> None:
        """The device stops answering and forwarding: everything behind it is cut off."""
        self.snmpd[device].send_signal(signal.SIGSTOP)
        sysctl(self.namespaces[device], "net.ipv4.ip_forward=0")

    def thaw(self, device: str) -> None:
        sysctl(self.namespaces[device], "net.ipv4.ip_forward=1")
        self.snmpd[device].send_signal(signal.SIGCONT)

    def unplug(self, device: str) -> None:
        """A leaf's cables pulled (its routes go with them; `plug` puts them back)."""
        for port in self.ports[device]:
            ip("-n", self.namespaces[device], "link", "set", port, "down")

    def plug(self, device: str) -> None:
        for port in self.ports[device]:
            ip("-n", self.namespaces[device], "link", "set", port, "up")
        if device in self.parent:
            ip("-n", self.namespaces[device], "route", "replace", "default", "via",
               self.cable_ends[(self.parent[device], device)][1])

    def stop(self) -> None:
        for proc in self.snmpd.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)   # a stopped process would not hear SIGTERM
        super().stop()
