"""The gRPC gateway: server, servicers, store, security, uploads and status mapping."""
