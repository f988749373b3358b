"""Measuring it: metrics (pure), the evaluation runner, the report, the CMRC 2018 benchmark and `qa eval` (cli)."""
