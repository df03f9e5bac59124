"""Network exports for the tools analysts already use: GraphML and GEXF (Gephi, yEd, Cytoscape),
CSV entity and link tables (i2 Analyst's Notebook's importer), Parquet (notebooks, DuckDB).

STIX 2.1 (MISP, OpenCTI) is in :mod:`tipnet.interop.stix`. Every writer takes a
:class:`~tipnet.interop.graph.GraphExport` and a destination; each writes to a temporary file
and renames it into place, so an interrupted export never leaves a half-written file that a
tool would read as complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import networkx as nx
import pyarrow as pa
import pyarrow.parquet as pq

from tipnet.interop import csvsafe
from tipnet.interop.graph import Entity, GraphExport, iso

FORMATS = ("graphml", "gexf", "i2", "parquet", "stix")
I2_ENTITY_COLUMNS = (
    "Entity Type",
    "Identity",
    "Label",
    "Networks",
    "First Seen",
    "Last Seen",
    "Attributes",
)
I2_LINK_COLUMNS = (
    "End 1 Type",
    "End 1 Identity",
    "End 2 Type",
    "End 2 Identity",
    "Link Type",
    "Weight",
)
# i2's importer matches entity types by name; these are the names of its standard palette.
I2_TYPES = {
    "ad": "Advertisement",
    "job_offer": "Advertisement",
    "profile": "Online Account",
    "message": "Communication",
    "report": "Document",
    "phone": "Telephone",
    "email": "Email Address",
    "handle": "Online Account",
    "url": "Web Address",
    "domain": "Web Address",
    "wallet": "Account",
    "image": "Image",
}


def to_graph(export: GraphExport) -> nx.Graph:
    """One undirected graph; node and edge attributes are flat scalars, as GraphML and GEXF need.

    A network is a node attribute (``networks``: ids joined by ``;``), so Gephi can colour by it.
    """
    graph = nx.Graph()
    membership = export.membership()
    for entity in export.entities:
        graph.add_node(entity.id, **_node_attributes(entity, membership.get(entity.id, [])))
    for link in export.links:
        if graph.has_edge(link.source, link.target):  # two signals between the same pair
            edge = graph.edges[link.source, link.target]
            edge["kind"] = ";".join(sorted({*edge["kind"].split(";"), link.kind}))
            edge["weight"] = float(edge["weight"]) + link.weight
        else:
            graph.add_edge(link.source, link.target, kind=link.kind, weight=float(link.weight))
    return graph


def write_graphml(export: GraphExport, path: Path) -> Path:
    with _atomic(path, "wb") as handle:
        nx.write_graphml(to_graph(export), handle, named_key_ids=True)
    return path


def write_gexf(export: GraphExport, path: Path) -> Path:
    with _atomic(path, "wb") as handle:
        nx.write_gexf(to_graph(export), handle)
    return path


def write_i2(export: GraphExport, directory: Path) -> list[Path]:
    """``entities.csv`` and ``links.csv`` in the column layout of i2's tabular import. Analysts
    open these in spreadsheets too: cells that could start a formula are neutralised
    (:mod:`tipnet.interop.csvsafe`)."""
    directory.mkdir(parents=True, exist_ok=True)
    membership = export.membership()
    kinds = {entity.id: entity.kind for entity in export.entities}
    entities_path, links_path = directory / "entities.csv", directory / "links.csv"
    with _atomic(entities_path, "w") as handle:
        writer = csvsafe.writer(handle)
        writer.writerow(I2_ENTITY_COLUMNS)
        for entity in export.entities:
            writer.writerow(
                (
                    I2_TYPES[entity.kind],
                    entity.id,
                    entity.label,
                    ";".join(membership.get(entity.id, [])),
                    iso(entity.first_seen),
                    iso(entity.last_seen),
                    "; ".join(f"{key}={value}" for key, value in sorted(entity.attributes.items())),
                )
            )
    with _atomic(links_path, "w") as handle:
        writer = csvsafe.writer(handle)
        writer.writerow(I2_LINK_COLUMNS)
        for link in export.links:
            writer.writerow(
                (
                    I2_TYPES[kinds[link.source]],
                    link.source,
                    I2_TYPES[kinds[link.target]],
                    link.target,
                    link.kind,
                    link.weight,
                )
            )
    return [entities_path, links_path]


def write_parquet(export: GraphExport, directory: Path) -> list[Path]:
    """``networks``, ``entities`` and ``links`` tables; lists stay lists, times stay times."""
    directory.mkdir(parents=True, exist_ok=True)
    membership = export.membership()
    tables = {
        "networks.parquet": pa.Table.from_pylist(
            [
                {
                    "id": network.id,
                    "label": network.label,
                    "entity_ids": list(network.entity_ids),
                    "countries": list(network.countries),
                    "first_seen": network.first_seen,
                    "last_seen": network.last_seen,
                    "risk": network.risk,
                    "transnational": network.transnational,
                }
                for network in export.networks
            ],
            schema=_NETWORK_SCHEMA,
        ),
        "entities.parquet": pa.Table.from_pylist(
            [
                {
                    "id": entity.id,
                    "kind": entity.kind,
                    "label": entity.label,
                    "networks": membership.get(entity.id, []),
                    "first_seen": entity.first_seen,
                    "last_seen": entity.last_seen,
                    "attributes": [(key, str(value)) for key, value in entity.attributes.items()],
                }
                for entity in export.entities
            ],
            schema=_ENTITY_SCHEMA,
        ),
        "links.parquet": pa.Table.from_pylist(
            [vars(link) for link in export.links], schema=_LINK_SCHEMA
        ),
    }
    written = []
    for name, table in tables.items():
        path = directory / name
        with _atomic(path, "wb") as handle:
            pq.write_table(table, handle)
        written.append(path)
    return written


def write(export: GraphExport, fmt: str, destination: Path) -> list[Path]:
    """Write one format; single-file formats go to ``destination``, the others into it."""
    from tipnet.interop.stix import write_stix

    writers: dict[str, Callable[[GraphExport, Path], Path | list[Path]]] = {
        "graphml": write_graphml,
        "gexf": write_gexf,
        "i2": write_i2,
        "parquet": write_parquet,
        "stix": write_stix,
    }
    if fmt not in writers:
        from tipnet.errors import InvalidInput

        raise InvalidInput(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    written = writers[fmt](export, destination)
    return written if isinstance(written, list) else [written]


def _node_attributes(entity: Entity, networks: list[str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        f"attr_{key}": value for key, value in entity.attributes.items() if value is not None
    }
    attributes.update(
        kind=entity.kind,
        label=entity.label,
        networks=";".join(networks),
        first_seen=iso(entity.first_seen),
        last_seen=iso(entity.last_seen),
    )
    return attributes


@contextmanager
def _atomic(path: Path, mode: str) -> Iterator[IO[Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        newline = "" if "b" not in mode else None
        encoding = "utf-8" if "b" not in mode else None
        with open(descriptor, mode, newline=newline, encoding=encoding) as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


_TIME = pa.timestamp("s", tz="UTC")
_NETWORK_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("label", pa.string()),
        ("entity_ids", pa.list_(pa.string())),
        ("countries", pa.list_(pa.string())),
        ("first_seen", _TIME),
        ("last_seen", _TIME),
        ("risk", pa.float64()),
        ("transnational", pa.bool_()),
    ]
)
_ENTITY_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("kind", pa.string()),
        ("label", pa.string()),
        ("networks", pa.list_(pa.string())),
        ("first_seen", _TIME),
        ("last_seen", _TIME),
        ("attributes", pa.map_(pa.string(), pa.string())),
    ]
)
_LINK_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("target", pa.string()),
        ("kind", pa.string()),
        ("weight", pa.float64()),
    ]
)
