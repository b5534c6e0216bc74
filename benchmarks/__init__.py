"""Benchmarks of tinygrad_ed against numpy and PyTorch; see README.md. The scripts are run.py,
profile.py and mem_minibatch.py."""
