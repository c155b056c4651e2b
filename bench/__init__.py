"""Benchmark tooling, outside the app: the synthetic corpus generator (``bench.corpus``, run
by ``manage.py generate_corpus``) and the scripts ``bench/run`` and ``bench/latency.py``."""
