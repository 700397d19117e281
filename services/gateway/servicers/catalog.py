"""CatalogService: data set registrations (zkgate.study.Registration, signed by their owner)."""

from __future__ import annotations

import hashlib
import json
import re

from zkgate.errors import InvalidInputError
from zkgate.study.catalog import Registration

from ...errors import AlreadyExistsError, NotFoundError
from ...v1 import catalog_pb2, catalog_pb2_grpc
from ...wire import json_field, load_schema
from ..security import requester_name, require_acting_as
from ..store import DatasetRecord, SchemaRecord, Store
from .audit import audit_entry
from .common import rpc


def dataset_message(record: DatasetRecord) -> catalog_pb2.Dataset:
    return catalog_pb2.Dataset(
        dataset_id=record.dataset_id,
        owner=record.owner,
        name=record.name,
        root=record.root,
        signing_public_key=record.signing_public_key,
        schema_json=record.schema_json,
        registration=record.registration,
    )


_SCHEMA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_schema_name(name: str) -> str:
    if not _SCHEMA_NAME.match(name or ""):
        raise InvalidInputError(f"schema name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
                                "letter or digit")
    return name


def canonical_schema_json(text: str) -> str:
    """The published form of a schema: {"columns": [{"name", "min", "max"}, ...]} with sorted keys and
    no spaces, so that the same columns always give the same bytes (and SHA-256)."""
    schema = load_schema(json_field(text, "schema_json"), "schema_json")  # SchemaError (INVALID_ARGUMENT) names the field
    columns = [{"name": name, "min": lo, "max": hi} for name, lo, hi in schema.to_obj()]
    return json.dumps({"columns": columns}, sort_keys=True, separators=(",", ":"))


def schema_message(record: SchemaRecord) -> catalog_pb2.PublishedSchema:
    return catalog_pb2.PublishedSchema(name=record.name, schema_json=record.schema_json,
                                       schema_sha256=record.schema_sha256, publisher=record.publisher)


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, store: Store, *, require_pq: bool = False) -> None:
        self.store = store
        self.require_pq = require_pq  # --require-pq: refuse classical Ed25519-only registrations

    @rpc
    def RegisterDataset(self, request, context):
        registration = Registration.from_bytes(request.registration)  # strict, canonical
        registration.verify(require_pq=self.require_pq)  # signed by the key it declares
        require_acting_as(context, registration.participant, "register a data set")
        data = registration.to_bytes()
        dataset_id = hashlib.sha256(data).hexdigest()
        schema = registration.schema.to_obj()
        record = DatasetRecord(
            dataset_id=dataset_id,
            owner=registration.participant,
            name=f"{registration.participant} ({registration.n_chunks} chunks of {registration.capacity})",
            root=str(registration.root),
            signing_public_key=registration.verify_key,
            schema_json=json.dumps(schema, default=str),
            registration=data,
        )
        audit = audit_entry("dataset", dataset_id=dataset_id, owner=registration.participant,
                            root=str(registration.root), verify_key=registration.key_ref.hex())
        return dataset_message(self.store.add_dataset(record, audit))

    @rpc
    def GetDataset(self, request, context):
        record = self.store.get_dataset(request.dataset_id)
        if record is None:
            raise NotFoundError(f"no data set {request.dataset_id!r} is registered")
        return dataset_message(record)

    @rpc
    def ListDatasets(self, request, context):
        return catalog_pb2.ListDatasetsResponse(datasets=[dataset_message(r) for r in self.store.list_datasets(request.owner)])

    @rpc
    def PublishSchema(self, request, context):
        name = check_schema_name(request.name)
        text = canonical_schema_json(request.schema_json)
        digest = hashlib.sha256(text.encode()).hexdigest()
        existing = self.store.get_schema(name)
        if existing is None:
            record = SchemaRecord(name=name, schema_json=text, schema_sha256=digest, publisher=requester_name(context))
            audit = audit_entry("schema", name=name, schema_sha256=digest, publisher=record.publisher)
            try:
                return schema_message(self.store.add_schema(record, audit))
            except AlreadyExistsError:  # published concurrently by another call: compare with that one
                existing = self.store.get_schema(name)
                if existing is None:
                    raise
        if existing.schema_sha256 != digest:
            raise AlreadyExistsError(
                f"schema {name!r} is already published with other columns (sha256 {existing.schema_sha256}; this one "
                f"{digest}): publish it under another name, or use the published one (`zkgate gateway schemas`)"
            )
        return schema_message(existing)  # identical content: idempotent, nothing logged twice

    @rpc
    def GetSchema(self, request, context):
        record = self.store.get_schema(check_schema_name(request.name))
        if record is None:
            raise NotFoundError(f"no schema named {request.name!r} is published on this gateway "
                                "(`zkgate gateway schemas` lists them; `zkgate requester publish-schema` publishes one)")
        return schema_message(record)

    @rpc
    def ListSchemas(self, request, context):
        return catalog_pb2.ListSchemasResponse(schemas=[schema_message(r) for r in self.store.list_schemas()])
