"""Gadgets: plain functions of the builder API, matching circomlib's templates.

Each gadget takes ``api`` (a :class:`~zkgate.circuits.builder.Builder`) first.
"""
