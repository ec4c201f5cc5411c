"""The ``pacs`` and ``receive`` commands (wired into ``bundler.cli``).

::

    records-bundler pacs echo     --node AE@HOST:PORT [--tls-ca F] [--json]
    records-bundler pacs find     --node ... [--level patient|study] [--name N] [--patient-id ID]
                                  [--birth-date D] [--date FROM-TO] [--modality M] [--accession A]
    records-bundler pacs retrieve --node ... --case DIR --study UID [--study UID ...]
                                  [--method get|move] [--move-port N]
    records-bundler pacs send     --node ... --case DIR [--study UID ...]
                                  [--local-id ID [--local-issuer I] [--local-name N]
                                   [--local-birth-date D] [--local-sex S] | --lookup-local]
    records-bundler pacs nodes    list | add NAME --node ... | remove NAME | ae-title T
    records-bundler receive       --case DIR --port N --ae-title T --allow AE@HOST [...]
                                  [--tls-cert F --tls-key F [--tls-ca F] | --plain]

``--node`` is ``AE@HOST:PORT`` or the name of a saved node. A typed address uses TLS when TLS
options come with it (``--tls-ca`` names the CA certificates that sign the node's certificate)
and plain TCP otherwise, with a note on stderr; a saved node keeps the choice made when it was
saved. ``receive`` uses TLS when given ``--tls-cert`` and ``--tls-key``.

Only argparse at import time: pynetdicom loads when a command runs.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bundler.errors import UsageError

__all__ = ["add_commands", "run"]


def _node_options(p: argparse.ArgumentParser, *, json: bool = True) -> None:
    p.add_argument("--node", required=True, metavar="AE@HOST:PORT", help="the node, or a saved node's name")
    p.add_argument("--tls-ca", type=Path, metavar="F", help="CA certificates (PEM) that sign the node's certificate")
    p.add_argument("--tls-cert", type=Path, metavar="F", help="our certificate (PEM), for nodes that ask for one")
    p.add_argument("--tls-key", type=Path, metavar="F", help="our certificate's private key (PEM)")
    p.add_argument("--plain", action="store_true", help="plain TCP without TLS (only on a network you trust)")
    p.add_argument("--no-hostname-check", action="store_true",
                   help="accept a trusted certificate issued for another host name")
    p.add_argument("--ae-title", metavar="T", help="our AE title (default: the saved one, else RECBUNDLER)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds to wait for an answer")
    if json:
        p.add_argument("--json", action="store_true", help="print the result as one JSON document")


def add_commands(sub: Any) -> None:
    """Add ``pacs`` and ``receive`` to the top-level subparsers."""
    pacs = sub.add_parser("pacs", help="verify, query, retrieve from and send to a PACS (DICOM network)")
    psub = pacs.add_subparsers(dest="pacs_command", required=True, parser_class=type(pacs))

    echo = psub.add_parser("echo", help="check that a node answers (C-ECHO)")
    _node_options(echo)

    find = psub.add_parser("find", help="search a node for patients or studies (C-FIND)")
    _node_options(find)
    find.add_argument("--level", choices=["patient", "study"], default="study", help="query level")
    find.add_argument("--name", default="", help="patient name, DICOM style (Family^Given); * and ? match")
    find.add_argument("--patient-id", default="", help="match this patient ID")
    find.add_argument("--birth-date", default="", metavar="YYYYMMDD", help="match this birth date")
    find.add_argument("--date", default="", metavar="FROM-TO", help="study date or range: YYYYMMDD[-YYYYMMDD]")
    find.add_argument("--modality", default="", help="e.g. CT, MR")
    find.add_argument("--accession", default="", help="match this accession number")
    find.add_argument("--limit", type=int, default=500, help="at most this many matches")

    ret = psub.add_parser("retrieve", help="bring studies from a node into the case (C-GET or C-MOVE)")
    _node_options(ret)
    ret.add_argument("--case", required=True, type=Path, metavar="DIR", help="case folder (created if absent)")
    ret.add_argument("--study", action="append", required=True, metavar="UID", help="Study Instance UID (repeatable)")
    ret.add_argument("--method", choices=["get", "move"], default="get", help="C-GET, or C-MOVE to our own listener")
    ret.add_argument("--move-port", type=int, metavar="N", help="C-MOVE: the port the node sends to (our SCP)")
    ret.add_argument("--listen", default="0.0.0.0", metavar="ADDR", help="C-MOVE: the address our SCP listens on")

    send = psub.add_parser("send", help="send the case (or chosen studies) to a node (C-STORE)")
    _node_options(send)
    send.add_argument("--case", required=True, type=Path, metavar="DIR", help="the case folder")
    send.add_argument("--study", action="append", metavar="UID", help="only this study (repeatable)")
    send.add_argument("--local-id", metavar="ID", help="reconcile: the patient's ID at the node")
    send.add_argument("--local-issuer", default="", metavar="I", help="reconcile: the issuer of that ID")
    send.add_argument("--local-name", default="", metavar="N", help="reconcile: name as Family^Given")
    send.add_argument("--local-birth-date", default="", metavar="YYYYMMDD",
                      help="the birth date the receiving site has for the patient")
    send.add_argument("--local-sex", default="", choices=["", "M", "F", "O"],
                      help="the sex the receiving site has for the patient")
    send.add_argument("--lookup-local", action="store_true",
                      help="reconcile: fill name, birth date and sex from the node's record of --local-id")
    send.add_argument("--resend", action="store_true", help="send everything again, even what the node confirmed")

    nodes = psub.add_parser("nodes", help="saved DICOM nodes")
    nsub = nodes.add_subparsers(dest="nodes_command", required=True, parser_class=type(pacs))
    nlist = nsub.add_parser("list", help="list saved nodes")
    nlist.add_argument("--json", action="store_true", help="print the result as one JSON document")
    nadd = nsub.add_parser("add", help="save a node under a name")
    nadd.add_argument("name", metavar="NAME", help="a short name for the node")
    _node_options(nadd, json=False)
    nrm = nsub.add_parser("remove", help="forget a saved node")
    nrm.add_argument("name", metavar="NAME", help="the node's name")
    nae = nsub.add_parser("ae-title", help="set our own AE title")
    nae.add_argument("title", metavar="T", help="our AE title (up to 16 characters)")

    rcv = sub.add_parser("receive", help="receive studies pushed by other DICOM nodes into a case (Storage SCP)")
    rcv.add_argument("--case", required=True, type=Path, metavar="DIR", help="case folder (created if absent)")
    rcv.add_argument("--port", required=True, type=int, metavar="N", help="TCP port to listen on")
    rcv.add_argument("--ae-title", metavar="T", help="our AE title (default: the saved one, else RECBUNDLER)")
    rcv.add_argument("--allow", action="append", required=True, metavar="AE@HOST",
                     help="a sender allowed to push (calling AE title at its host; repeatable)")
    rcv.add_argument("--listen", default="0.0.0.0", metavar="ADDR", help="address to listen on")
    rcv.add_argument("--tls-cert", type=Path, metavar="F", help="our TLS certificate (PEM)")
    rcv.add_argument("--tls-key", type=Path, metavar="F", help="its private key (PEM)")
    rcv.add_argument("--tls-ca", type=Path, metavar="F", help="senders must show a certificate signed by these")
    rcv.add_argument("--plain", action="store_true", help="plain TCP without TLS (only on a network you trust)")
    rcv.add_argument("--max-associations", type=int, default=8, metavar="N",
                     help="most senders at once")
    rcv.add_argument("--duration", type=float, metavar="S", help="stop after S seconds (default: until Ctrl-C)")
    rcv.add_argument("--json", action="store_true", help="print the result as one JSON document")


def run(args: argparse.Namespace) -> int:
    """Run ``pacs ...`` or ``receive``."""
    if args.command == "receive":
        return _receive(args)
    handler = {"echo": _echo, "find": _find, "retrieve": _retrieve, "send": _send, "nodes": _nodes}
    return handler[args.pacs_command](args)


# ---------------------------------------------------------------------------------- helpers


def _emit(data: Any) -> None:
    from bundler.cli import _emit as emit

    emit(data)


def _progress() -> Any:
    from bundler.progress import TerminalProgress

    return TerminalProgress()


def _our_ae(args: argparse.Namespace) -> str:
    from bundler.net.ae import validate_ae_title
    from bundler.net.nodes import local_ae_title

    return validate_ae_title(args.ae_title) if args.ae_title else local_ae_title()


def _node(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from bundler.net.ae import parse_node
    from bundler.net.nodes import get_node

    if args.plain and (args.tls_ca or args.tls_cert or args.tls_key):
        raise UsageError("--plain means no TLS: leave out the --tls-* options.", code="bad_node")
    tls_options: dict[str, Any] = {}
    if args.tls_ca:
        tls_options["tls_ca"] = args.tls_ca
    if args.tls_cert or args.tls_key:
        tls_options["tls_cert"], tls_options["tls_key"] = args.tls_cert, args.tls_key
    if args.no_hostname_check:
        tls_options["check_hostname"] = False
    if "@" in args.node:
        # An address typed on the command line is TLS when TLS options come with it; without
        # them the user has chosen plain TCP for this node (the contract: --node ... [--tls-ca F]).
        tls = bool(tls_options) and not args.plain
        if not tls:
            print("Note: plain TCP, no encryption (give --tls-ca to use TLS).", file=sys.stderr)
        return parse_node(args.node, tls=tls, **tls_options)
    node = get_node(args.node)
    if args.plain:
        return replace(node, tls=False, tls_ca=None, tls_cert=None, tls_key=None)
    if tls_options:
        return replace(node, tls=True, **tls_options)
    return node


def _timeouts(args: argparse.Namespace) -> Any:
    from bundler.net.ae import Timeouts

    t = max(1.0, float(args.timeout))
    return Timeouts(connect=min(t, 30.0), acse=t, dimse=max(t, 120.0))


# --------------------------------------------------------------------------------- commands


def _echo(args: argparse.Namespace) -> int:
    from bundler.cli import EXIT_OK
    from bundler.net.scu import echo

    result = echo(_node(args), ae_title=_our_ae(args), timeouts=_timeouts(args))
    if args.json:
        _emit(result.to_json())
    else:
        print(f"{result.node} answered in {result.round_trip_ms:.0f} ms ({'TLS' if result.tls else 'plain TCP'}).")
    return EXIT_OK


def _find(args: argparse.Namespace) -> int:
    from bundler.cli import EXIT_OK
    from bundler.net.scu import PatientQuery, StudyQuery, find_patients, find_studies

    node = _node(args)
    if args.level == "patient":
        patients = find_patients(node, PatientQuery(args.name, args.patient_id, args.birth_date),
                                 ae_title=_our_ae(args), timeouts=_timeouts(args), limit=args.limit)
        if args.json:
            _emit({"node": node.label, "level": "patient", "patients": [p.to_json() for p in patients]})
            return EXIT_OK
        for p in patients:
            print(f"{p.patient_id}{'  (' + p.issuer + ')' if p.issuer else ''}  {p.name}  born {p.birth_date or '?'}"
                  f"  {p.sex or '?'}  [{p.studies if p.studies is not None else '?'} studies]")
        if not patients:
            print("No matching patients.")
        return EXIT_OK
    studies = find_studies(node, StudyQuery(name=args.name, patient_id=args.patient_id, birth_date=args.birth_date,
                                            date=args.date, modality=args.modality, accession=args.accession),
                           ae_title=_our_ae(args), timeouts=_timeouts(args), limit=args.limit)
    if args.json:
        _emit({"node": node.label, "level": "study", "studies": [s.to_json() for s in studies]})
        return EXIT_OK
    for s in studies:
        count = s.instances if s.instances is not None else "?"
        print(f"{s.date or '????????'}  {'/'.join(s.modalities) or '?':8} {s.description or '(no description)'}"
              f"  [{count} objects]  {s.patient_name} {s.patient_id}\n    {s.study_uid}")
    if not studies:
        print("No matching studies.")
    return EXIT_OK


def _retrieve(args: argparse.Namespace) -> int:
    from bundler.cli import EXIT_OK, EXIT_PROBLEM
    from bundler.net.scu import retrieve
    from bundler.progress import CancelToken
    from bundler.store import CaseStore

    node = _node(args)
    cancel = CancelToken()
    with CaseStore.open(args.case, create=True) as store:
        try:
            report = retrieve(store, node, args.study, method=args.method, ae_title=_our_ae(args),
                              move_port=args.move_port, listen_host=args.listen, timeouts=_timeouts(args),
                              progress=_progress(), cancel=cancel)
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            cancel.cancel()
            raise
    data = report.to_json()
    if args.json:
        _emit(data)
    else:
        print(f"{report.received} objects received from {node.label} (C-{args.method.upper()}): "
              f"{data['imported']} imported, {data['duplicates']} already in the case, "
              f"{data['import_failed']} could not be read; {report.failed} the node could not send.")
    return EXIT_PROBLEM if report.failed or data["import_failed"] else EXIT_OK


def _send(args: argparse.Namespace) -> int:
    from bundler.cli import EXIT_OK, EXIT_PROBLEM
    from bundler.net.reconcile import LocalPatient
    from bundler.net.scu import lookup_local_patient, send
    from bundler.progress import CancelToken
    from bundler.store import CaseStore

    node = _node(args)
    ae_title = _our_ae(args)
    local = None
    if args.lookup_local:
        if not args.local_id:
            raise UsageError("--lookup-local needs --local-id (the patient's ID at the node).", code="bad_local_patient")
        local = lookup_local_patient(node, args.local_id, issuer=args.local_issuer, ae_title=ae_title,
                                     timeouts=_timeouts(args))
    elif args.local_id:
        local = LocalPatient(args.local_id, args.local_issuer, args.local_name, args.local_birth_date,
                             args.local_sex)
    elif args.local_name or args.local_birth_date or args.local_issuer or args.local_sex:
        raise UsageError("Reconciliation needs --local-id too.", code="bad_local_patient")
    cancel = CancelToken()
    with CaseStore.open(args.case) as store:
        try:
            report = send(store, node, study_uids=args.study, local=local, ae_title=ae_title,
                          resume=not args.resend, timeouts=_timeouts(args), progress=_progress(), cancel=cancel)
        except KeyboardInterrupt:  # pragma: no cover - interactive only
            cancel.cancel()
            raise
    data = report.to_json()
    if args.json:
        _emit(data)
    else:
        print(f"{report.sent} of {data['total']} objects sent to {node.label}"
              f"{' (reconciled to the local patient)' if local else ''}: {data['failed']} failed, "
              f"{data['already_sent']} already there from an earlier send.")
        for r in report.results:
            if r.outcome == "failed":
                print(f"  failed: {r.sop_instance_uid}  {r.message}")
        if report.error is not None:
            print(f"Stopped: {report.error.user_message} Run the same command again to send the rest.")
    return EXIT_PROBLEM if report.failed else EXIT_OK


def _nodes(args: argparse.Namespace) -> int:
    from bundler.cli import EXIT_OK, EXIT_PROBLEM
    from bundler.net.nodes import load_nodes, remove_node, save_node, set_local_ae_title

    if args.nodes_command == "list":
        nodes = load_nodes()
        if args.json:
            _emit({name: n.to_json() for name, n in nodes.items()})
        else:
            for name, n in sorted(nodes.items()):
                print(f"{name}: {n.label}  {'TLS' if n.tls else 'plain TCP'}")
            if not nodes:
                print("No saved nodes.")
        return EXIT_OK
    if args.nodes_command == "add":
        node = _node(args)
        save_node(args.name, node)
        print(f"Saved {args.name}: {node.label} ({'TLS' if node.tls else 'plain TCP'}).")
        return EXIT_OK
    if args.nodes_command == "remove":
        if remove_node(args.name):
            print(f"Removed {args.name}.")
            return EXIT_OK
        print(f"No saved node is called {args.name}.", file=sys.stderr)
        return EXIT_PROBLEM
    set_local_ae_title(args.title)
    print(f"Our AE title is now {args.title.strip()}.")
    return EXIT_OK


def _receive(args: argparse.Namespace) -> int:
    from bundler.cli import EXIT_OK, EXIT_PROBLEM
    from bundler.net.ae import parse_allow, server_ssl_context
    from bundler.net.scp import Receiver
    from bundler.store import CaseStore

    if args.plain and (args.tls_cert or args.tls_key or args.tls_ca):
        raise UsageError("--plain means no TLS: leave out the --tls-* options.", code="bad_tls")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("TLS needs both our certificate and its key (--tls-cert and --tls-key).",
                         code="no_tls_cert")
    if not args.tls_cert:
        args.plain = True  # no certificate given: the user receives on a network they trust
        print("Note: receiving over plain TCP, no encryption (give --tls-cert and --tls-key to use TLS).",
              file=sys.stderr)
    allow = [parse_allow(a) for a in args.allow]
    ssl_ctx = None if args.plain else server_ssl_context(args.tls_cert, args.tls_key, client_ca=args.tls_ca)
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    with CaseStore.open(args.case, create=True) as store:
        receiver = Receiver(store, ae_title=_our_ae(args), port=args.port, allow=allow, host=args.listen,
                            ssl_context=ssl_ctx, max_associations=args.max_associations, progress=_progress())
        receiver.start()
        print(f"Receiving into the case as {receiver.ae_title} on port {receiver.port} "
              f"({'TLS' if ssl_ctx else 'plain TCP'}); Ctrl-C to stop.", file=sys.stderr, flush=True)
        deadline = time.monotonic() + args.duration if args.duration else None
        try:
            while not stop.wait(0.2):
                if deadline is not None and time.monotonic() >= deadline:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            print("Stopping: importing what arrived...", file=sys.stderr, flush=True)
            summary = receiver.stop()
            signal.signal(signal.SIGTERM, previous)
    data = summary.to_json()
    if args.json:
        _emit(data)
    else:
        print(f"{data['received']} objects received in {data['associations']} association(s): "
              f"{data['imported']} imported, {data['skipped']} skipped, {data['failed']} failed; "
              f"{sum(data['rejected_associations'].values())} connection(s) refused, "
              f"{sum(data['refused_instances'].values())} object(s) refused.")
    return EXIT_PROBLEM if data["failed"] or data["import_errors"] else EXIT_OK
