"""CatalogService: data set registrations (zkgate.study.Registration, signed by their owner)."""

from __future__ import annotations

import hashlib
import json

from zkgate.services.errors import NotFoundError
from zkgate.services.security import require_acting_as
from zkgate.services.servicers.audit import audit_entry
from zkgate.services.servicers.common import rpc
from zkgate.services.store import DatasetRecord, Store
from zkgate.services.v1 import catalog_pb2, catalog_pb2_grpc
from zkgate.study.catalog import Registration


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


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, store: Store) -> None:
        self.store = store

    @rpc
    def RegisterDataset(self, request, context):
        registration = Registration.from_bytes(request.registration)  # strict, canonical
        registration.verify()  # signed by the key it declares
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
                            root=str(registration.root), verify_key=registration.verify_key.hex())
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
