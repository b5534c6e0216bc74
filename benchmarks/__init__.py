"""Benchmarks of tinygrad_ed against numpy and PyTorch; see README.md. Run from the repository root:
`python -m benchmarks.run`, `python -m benchmarks.profile_row` and `python -m benchmarks.mem_minibatch`;
each measurement is a `python -m benchmarks.worker` process."""
