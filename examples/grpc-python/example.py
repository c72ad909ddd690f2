"""memspace over gRPC from Python: a space, memories with metadata, a filtered vector search, a
streamed listing, and memspace's own error code from a failed call. Safe to run again.

    examples/grpc-python/generate.sh
    PYTHONPATH=examples/grpc-python/gen MEMSPACE_KEY=msk_... python3 examples/grpc-python/example.py
"""
import json
import os

import grpc
from google.protobuf import json_format, struct_pb2

from error_details_pb2 import ErrorInfo, Status
from memspace.v1 import memspace_pb2 as pb, memspace_pb2_grpc as rpc

ADDRESS = os.environ.get("MEMSPACE_GRPC_ADDRESS", "127.0.0.1:7421")
# Every call carries the key in its metadata, as REST carries it in a header.
AUTH = [("authorization", "Bearer " + os.environ["MEMSPACE_KEY"])]
SPACE = "python-demo"


def struct(value):
    """A dict as a google.protobuf.Struct, the type of every free-form field (metadata, filters)."""
    s = struct_pb2.Struct()
    s.update(value)
    return s


def error_code(error):
    """memspace's error code (e.g. CONFLICT) of a failed call: the `reason` of the ErrorInfo
    in its status details. Empty for a failure that never reached memspace (no server)."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            for detail in Status.FromString(value).details:
                if detail.type_url.endswith("/google.rpc.ErrorInfo"):
                    return ErrorInfo.FromString(detail.value).reason
    return ""


with grpc.insecure_channel(ADDRESS) as channel:
    spaces, memories = rpc.SpacesStub(channel), rpc.MemoriesStub(channel)

    # embedder "none": we bring 4-number vectors ourselves, so the server needs no model.
    try:
        spaces.Create(pb.CreateSpaceRequest(name=SPACE, embedder="none", dimension=4), metadata=AUTH)
    except grpc.RpcError as e:
        if error_code(e) != "CONFLICT":  # CONFLICT: the space is there from an earlier run
            raise

    notes = [
        ("pdf", "Customer 7 wants invoices as PDF", {"topic": "billing", "customer": 7}, [1, 0, 0, 0]),
        ("vat", "Customer 7 is exempt from VAT", {"topic": "billing", "customer": 7}, [0.8, 0.6, 0, 0]),
        ("tea", "Customer 7 drinks green tea", {"topic": "small-talk", "customer": 7}, [0.9, 0, 0.4, 0]),
    ]
    batch = [pb.AddMemoryRequest(id=i, content=c, metadata=struct(m), embedding=v) for i, c, m, v in notes]
    try:
        memories.BatchAdd(pb.BatchAddRequest(space=SPACE, memories=batch), metadata=AUTH)
    except grpc.RpcError as e:
        if error_code(e) != "CONFLICT":  # all or nothing: on a second run the ids exist already
            raise

    # The filter is REST's filter language, as a Struct; it applies before ranking.
    found = memories.Search(
        pb.SearchRequest(space=SPACE, embedding=[1, 0.1, 0, 0], mode="vector", limit=2,
                         filter=struct({"metadata.topic": "billing"})),
        metadata=AUTH,
    )
    for hit in found.results:
        print(f"search: {hit.score:.3f} {hit.memory.id} {hit.memory.content}")

    # List is a server stream of the whole space, oldest first: iterate it.
    for memory in memories.List(pb.ListMemoriesRequest(space=SPACE), metadata=AUTH):
        metadata = json_format.MessageToDict(memory.metadata)  # a dict; Struct numbers are floats
        print(f"list: {memory.id} {memory.kind} {json.dumps(metadata, sort_keys=True)}")

    # A failed call raises grpc.RpcError: code() is the gRPC status, error_code() memspace's code.
    try:
        memories.Add(pb.AddMemoryRequest(space=SPACE, content="a short vector", embedding=[1, 0]), metadata=AUTH)
    except grpc.RpcError as e:
        print(f"error: {e.code().name} {error_code(e)}: {e.details()}")
