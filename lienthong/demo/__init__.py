"""The whole axis on one machine with simulated agencies (``lienthong demo``).

:mod:`.simulation` builds realistic events from the reference data (also used by the
tests); :mod:`._services` starts and stops the services as child processes;
:mod:`._feed` plays the agencies: the one-stop centre over the HTTP gateway, the others
through the SDK, and a broken system now and then that sends bytes the gate refuses.
"""

from lienthong.demo._feed import Feed
from lienthong.demo._identities import INTRUDER_AGENCY, DemoIdentities, write_demo_identities
from lienthong.demo._intruder import Intruder
from lienthong.demo._services import Service

__all__ = [
    "INTRUDER_AGENCY",
    "DemoIdentities",
    "Feed",
    "Intruder",
    "Service",
    "write_demo_identities",
]
