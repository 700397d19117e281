"""Reports on released results: inline-SVG charts (:mod:`zkgate.report.charts`).

Pure Python, no gRPC: the web console (``zkgate console``) and the statistics HTML report
both draw with the same chart module.
"""
