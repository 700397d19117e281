"""zkgate's gRPC layer (installed as ``zkgate.services``; the only layer that imports ``grpc``).

* ``gateway/``  the server: servicers, store, security (policy, interceptor), transport, uploads,
  status mapping (exception -> gRPC status);
* ``client/``   the Python client SDK (GatewayClient, TLS credentials, call error reporting); it never
  imports ``gateway/``;
* ``parties/``  the applications over the client: holder, requester and key holder homes, study
  requests, development certificates, the demo and the load generator;
* ``cli/``      the click commands (``zkgate serve``, ``zkgate gateway ...``, role commands);
* ``wire.py``   protobuf <-> library conversion shared by gateway and client; ``errors.py`` the
  gateway's error classes; ``identity.py`` roles and organisation names; ``v1/`` generated stubs
  of ``proto/zkgate/v1/*.proto``.
"""
