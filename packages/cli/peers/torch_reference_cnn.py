"""PyTorch peer of `optik bench`: the same reference CNN, optimizer, batch and thread count, timed the same way.

Prints one JSON object on stdout. Used only for comparison, never at run time.
usage: python3 torch_reference_cnn.py --threads N --batch-size 64 --steps 20 --warmup 3 --infer-batches 10
"""
import argparse
import json
import time

import torch
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--steps", type=int, default=20)
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--infer-batches", type=int, default=10)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Dropout(0.25),
    nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()  # softmax + categorical cross-entropy, as in the tfjs model
xs = torch.rand(args.batch_size, 1, 28, 28)
ys = torch.randint(0, 10, (args.batch_size,))
infer_xs = torch.rand(args.batch_size * 4, 1, 28, 28)


def step():
    optimizer.zero_grad()
    loss = loss_fn(model(xs), ys)
    loss.backward()
    optimizer.step()
    return loss.item()


model.train()
for _ in range(args.warmup):
    step()
t0 = time.perf_counter()
for _ in range(args.steps):
    step()
train_seconds = time.perf_counter() - t0

model.eval()
with torch.no_grad():
    torch.softmax(model(infer_xs), 1)
    t1 = time.perf_counter()
    for _ in range(args.infer_batches):
        torch.softmax(model(infer_xs), 1).numpy()
    infer_seconds = time.perf_counter() - t1

print(json.dumps({
    "peer": "pytorch",
    "version": torch.__version__,
    "threads": torch.get_num_threads(),
    "batchSize": args.batch_size,
    "trainSamplesPerSec": args.steps * args.batch_size / train_seconds,
    "inferSamplesPerSec": args.infer_batches * args.batch_size * 4 / infer_seconds,
}))
