"""PyTorch port of Optik's localization example (examples/localization/train.yaml), for `pnpm bench:localize`.

The same model (loc-cnn backbone: conv 16-32-64-64 + max pools, conv 128; class head: global max pool → softmax;
box head: flatten → dense 256 → 4 sigmoid), the same initialisation (Glorot uniform, zero biases), loss (cross-
entropy + 5 × L1 + 2 × GIoU on normalised cx, cy, w, h), optimizer (Adam with Optik's epsilon), per-epoch learning
rates (read from the Optik run), batch size, augmentation (brightness ±0.2 and contrast ×0.8–1.2, each with p 0.5),
checkpoint rule (best validation IoU) and test metrics, on the data Optik exported. Used for comparison only.
Prints one JSON object on stdout.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
meta = json.load(open(f"{args.data}/meta.json"))
H, W, C = meta["height"], meta["width"], meta["numClasses"]


def load(split):
    n = meta["splits"][split]["count"]
    x = np.fromfile(f"{args.data}/{split}.u8", dtype=np.uint8).reshape(n, 1, H, W).astype(np.float32) / 255.0
    labels = np.array(meta["splits"][split]["labels"], dtype=np.int64)
    boxes = np.array(meta["splits"][split]["boxes"], dtype=np.float32).reshape(n, 4)
    return torch.from_numpy(x), torch.from_numpy(labels), torch.from_numpy(boxes)


def to_cxcywh(xyxy):
    x0, y0, x1, y1 = xyxy.unbind(-1)
    return torch.stack([(x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H], -1)


class LocCnn(nn.Module):
    def __init__(self, classes):
        super().__init__()
        chans = [1, 16, 32, 64, 64, 128]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in zip(chans, chans[1:]))
        self.cls = nn.Linear(128, classes)
        self.hidden = nn.Linear(128 * (H // 16) * (W // 16), 256)
        self.box = nn.Linear(256, 4)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i < 4:
                x = F.max_pool2d(x, 2)
        logits = self.cls(torch.amax(x, dim=(2, 3)))
        box = torch.sigmoid(self.box(F.relu(self.hidden(torch.flatten(x, 1)))))
        return logits, box


def giou_loss(t, p):
    def corners(b):
        return b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2

    tx0, ty0, tx1, ty1 = corners(t)
    pw, ph = p[:, 2].clamp(min=0), p[:, 3].clamp(min=0)
    px0, py0, px1, py1 = p[:, 0] - pw / 2, p[:, 1] - ph / 2, p[:, 0] + pw / 2, p[:, 1] + ph / 2
    iw = (torch.minimum(tx1, px1) - torch.maximum(tx0, px0)).clamp(min=0)
    ih = (torch.minimum(ty1, py1) - torch.maximum(ty0, py0)).clamp(min=0)
    inter = iw * ih
    union = t[:, 2] * t[:, 3] + pw * ph - inter
    iou = inter / union.clamp(min=1e-7)
    hull = (torch.maximum(tx1, px1) - torch.minimum(tx0, px0)) * (torch.maximum(ty1, py1) - torch.minimum(ty0, py0))
    return 1 - (iou - (hull - union) / hull.clamp(min=1e-7))


def augment(x):
    n = x.shape[0]
    on = torch.from_numpy(rng.random(n) < 0.5).float().view(n, 1, 1, 1)
    delta = torch.from_numpy(rng.uniform(-0.2, 0.2, n)).float().view(n, 1, 1, 1)
    x = (x + on * delta).clamp(0, 1)
    on = torch.from_numpy(rng.random(n) < 0.5).float().view(n, 1, 1, 1)
    factor = torch.from_numpy(rng.uniform(0.8, 1.2, n)).float().view(n, 1, 1, 1)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return torch.where(on > 0, ((x - mean) * factor + mean).clamp(0, 1), x)


def iou_xyxy(a, b):
    iw = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    ih = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    inter = iw * ih
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return torch.where(union > 0, inter / union, torch.zeros_like(union))


@torch.no_grad()
def evaluate(model, x, labels, boxes):
    model.eval()
    probs, pred = [], []
    for i in range(0, len(x), 256):
        logits, box = model(x[i : i + 256])
        probs.append(logits.argmax(-1))
        pred.append(box)
    cls, box = torch.cat(probs), torch.cat(pred)
    cx, cy, w, h = box[:, 0] * W, box[:, 1] * H, box[:, 2].clamp(min=0) * W, box[:, 3].clamp(min=0) * H
    xyxy = torch.stack([(cx - w / 2).clamp(0, W), (cy - h / 2).clamp(0, H), (cx + w / 2).clamp(0, W), (cy + h / 2).clamp(0, H)], -1)
    iou = iou_xyxy(xyxy, boxes)
    right = cls == labels
    model.train()
    return {
        "locAccuracy50": float((right & (iou >= 0.5)).float().mean()),
        "locAccuracy75": float((right & (iou >= 0.75)).float().mean()),
        "meanIou": float(iou.mean()),
        "accuracy": float(right.float().mean()),
    }


train, val, test = load("train"), load("validation"), load("test")
model = LocCnn(C)
lrs = meta["learningRates"]
opt = torch.optim.Adam(model.parameters(), lr=lrs[0], eps=meta["epsilon"])
w = meta["lossWeights"]
batch = meta["batchSize"]
best, best_state, train_seconds, samples = -1.0, None, 0.0, 0
history = []
for epoch, lr in enumerate(lrs):
    for g in opt.param_groups:
        g["lr"] = lr
    order = torch.from_numpy(rng.permutation(len(train[0])))
    start = time.perf_counter()
    for i in range(0, len(order), batch):
        idx = order[i : i + batch]
        x = augment(train[0][idx])
        y, b = train[1][idx], to_cxcywh(train[2][idx])
        logits, box = model(x)
        loss = (w["class"] * F.cross_entropy(logits, y, reduction="none")
                + w["l1"] * (box - b).abs().mean(-1) + w["giou"] * giou_loss(b, box)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        samples += len(idx)
    train_seconds += time.perf_counter() - start
    v = evaluate(model, *val)
    history.append({"epoch": epoch, **{f"val_{k}": x for k, x in v.items()}})
    if v["meanIou"] > best:
        best, best_state = v["meanIou"], {k: t.clone() for k, t in model.state_dict().items()}
model.load_state_dict(best_state)
print(json.dumps({
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "epochs": len(lrs),
    "trainSamplesPerSecond": samples / train_seconds,
    "test": evaluate(model, *test),
    "history": history,
}))
