"""The fault suite (issue 14): faults while publishing, then every answer checked against an oracle.

One run starts its own broker (or a local 3-node cluster with ``--nodes 3``), schema
registry and worker (a subprocess with the views on), then publishes ~10 events each
for N dossiers, following legal status sequences (``schemas/rules/transitions.py``),
through the agency SDK, while:

1. the worker is SIGKILLed (and started again, as a supervisor would);
2. the broker is stopped for the chosen outage and started again (on a cluster: one
   node is SIGKILLed for that long, then restarted);
3. the worker is SIGKILLed a second time.

A worker that exits by itself meanwhile is started again too, and counted. Afterwards,
once the views settle (503 while recovering is accepted, a wrong final answer is not):

- every dossier's status in the portal view equals the last status sent;
- ``/ioc/stats?by=status`` equals the oracle's counts;
- every event the SDK acknowledged (delivered or spooled) is in the canonical topic.

Each run prints one line of numbers; the last line says how many runs passed.

    .venv/bin/python bench/fault_suite.py --outage 10 --runs 5
    .venv/bin/python bench/fault_suite.py --outage 40 --runs 5 --transport librdkafka
    .venv/bin/python bench/fault_suite.py --nodes 3      # a local 3-node cluster, a node killed

Runs cycle through the SDK transports (kafka-python, librdkafka) and the worker's
stores (memory, rocksdb) unless one is chosen. The broker's stop and start count in the
outage: the measured outage (stop begun → broker answering) is printed.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._fault_oracle; after the install

from bench._fault_oracle import Plan, Transport, run


# -- the command -----------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=10.0, help="seconds Kafka is away")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--publish-s", type=float, default=60.0)
    parser.add_argument("--delivery-timeout", type=float, default=15.0, help="the SDK's")
    parser.add_argument("--settle-s", type=float, default=300.0, help="wait for the views")
    parser.add_argument(
        "--transport", choices=["kafka-python", "librdkafka", "both"], default="both"
    )
    parser.add_argument("--store", choices=["memory", "rocksdb", "both"], default="both")
    parser.add_argument("--nodes", type=int, choices=[1, 3], default=1)
    args = parser.parse_args()
    transports: list[Transport] = (
        ["kafka-python", "librdkafka"] if args.transport == "both" else [args.transport]
    )
    stores = ["memory", "rocksdb"] if args.store == "both" else [args.store]
    combos = list(itertools.product(transports, stores))
    # Alternate both ways: kafka-python/memory, librdkafka/rocksdb, kafka-python/rocksdb, ...
    combos = [combos[i] for i in (0, 3, 1, 2) if i < len(combos)] if len(combos) == 4 else combos
    passed = 0
    for n in range(args.runs):
        transport, store = combos[n % len(combos)]
        plan = Plan(
            transport=transport, store=store, outage_s=args.outage, dossiers=args.dossiers,
            publish_s=args.publish_s, delivery_timeout_s=args.delivery_timeout,
            settle_s=args.settle_s, nodes=args.nodes, seed=14 + n,
        )  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="fault-suite-") as home:
            began = time.monotonic()
            out = run(plan, Path(home))
            passed += out.ok
            print(
                f"run {n + 1}/{args.runs} ({time.monotonic() - began:.0f}s): {out.line()}",
                flush=True,
            )
            if not out.ok:
                keep = Path(tempfile.mkdtemp(prefix="fault-suite-failed-"))
                for log in Path(home).glob("worker-*.log"):
                    (keep / log.name).write_bytes(log.read_bytes())
                print(f"  worker logs kept in {keep}", flush=True)
    print(f"fault suite: {passed}/{args.runs} runs passed (outage {args.outage:g}s)", flush=True)


if __name__ == "__main__":
    main()
