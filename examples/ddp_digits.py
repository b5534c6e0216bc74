"""Train the digits MLP of demo.py data-parallel: one replica per MPI process, gradients averaged.

    mpiexec -n 4 python -m mpi4py examples/ddp_digits.py     # needs: pip install -e ".[distributed]"
    mpiexec -n 4 python -m mpi4py examples/ddp_digits.py --help

Every process holds the whole model; a DistributedSampler gives each its share of every epoch,
DistributedDataParallel averages the shard gradients after backward(), so every process takes the
same SGD step: mini-batch SGD on a batch of (processes x --batch-size) rows. Rank 0 prints each rank's
throughput; rank 0 saves the model to --out/ddp_digits.ckpt, every rank loads it back and checks
that it holds the same weights, and rank 0 reports the test accuracy. `-m mpi4py` makes an error
on any rank end the whole job instead of leaving the others waiting.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir
from demo import evaluate, load_data, make_model
import tinygrad_ed as te
from tinygrad_ed import distributed as dist
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.parallel import DistributedDataParallel
from tinygrad_ed.optim import SGD
from tinygrad_ed.utils.data import DataLoader, DistributedSampler, TensorDataset


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=16, help="rows per process per step")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 64], help="hidden layer widths")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the weights and the shuffling")
    add_out(parser, "ddp_digits.ckpt (written by rank 0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    x_train, x_test, y_train, y_test = load_data(args.seed)  # every rank loads the same split
    te.manual_seed(args.seed + rank)  # different weights per rank: DDP broadcasts rank 0's
    model = DistributedDataParallel(make_model(args.hidden))
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    train = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(train, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)
    if rank == 0:
        print(f"{world} processes x {args.batch_size} rows = batches of {world * args.batch_size}; "
              f"{len(sampler)} of the {len(train)} training rows per process and epoch")

    seen, start = 0, time.perf_counter()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new order each epoch, the same on every rank
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()  # ...and the gradients are averaged over the processes
            optimizer.step()
            seen += len(yb)
    seconds = time.perf_counter() - start
    throughputs: list = [None] * world
    dist.all_gather_object(throughputs, [seen, seconds])  # printed by rank 0: one stream, lines not mixed
    if rank == 0:
        for r, (samples, spent) in enumerate(throughputs):
            print(f"rank {r}: {samples} samples in {spent:.2f} s, {samples / spent:.0f} samples/s")

    checkpoint = output_dir(args.out) / "ddp_digits.ckpt"
    if rank == 0:  # one writer; the prefix-free state of the wrapped module
        te.save(model.module.state_dict(), checkpoint)
    dist.barrier()  # the file is complete before anyone reads it
    state = te.load(checkpoint)
    for name, p in model.module.named_parameters():
        if not np.array_equal(state[name].numpy(), p.detach().numpy()):
            raise RuntimeError(f"rank {rank}: {name} differs from the checkpoint: the replicas drifted apart")
    test_loss, test_accuracy = evaluate(model.module, x_test, y_test)
    if rank == 0:
        print(f"test loss {test_loss:.4f}; test accuracy (rank 0, after {args.epochs} epochs): {test_accuracy:.4f}")
    dist.destroy_process_group()
    return {"rank": rank, "samples_per_second": seen / seconds, "test_accuracy": test_accuracy}


if __name__ == "__main__":
    main()
