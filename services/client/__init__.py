"""The Python client SDK of the gateway (GatewayClient, TLS helpers, call error reporting).

It never imports ``zkgate.services.gateway``: what it shares with the server side lives in
``zkgate.services.wire`` and ``zkgate.services.errors``.
"""
