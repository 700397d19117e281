"""Statistic kinds: the registry (:mod:`.registry`), the committed moments (:mod:`.moments`) and how
results are published (:mod:`.numbers`)."""
