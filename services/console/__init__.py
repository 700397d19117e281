"""``zkgate console``: a read-only web console for regulators (server-rendered, Starlette + Jinja2).

:mod:`.source` reads the gateway as a regulator and verifies what it reads (the release verdict
recomputed with zkgate's own verifier, cached per record digest; tree heads, consistency and
inclusion proofs checked); :mod:`.app` renders it as pages and as JSON under ``/api/``;
:mod:`.server` serves it (localhost, or browser mutual TLS admitting regulator certificates only);
:mod:`.cli` is the command.  See docs/console.md.
"""
