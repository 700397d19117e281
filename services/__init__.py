"""zkgate's gRPC gateway (installed as ``zkgate.services``).

Protos, servicers, storage and the server side of the audit log live here.  This is the
only layer that imports ``grpc``; the core library under ``zkgate/`` never does.
"""
