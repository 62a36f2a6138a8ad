"""PyTorch port of Optik's detector (examples/detection/train.yaml), for `pnpm bench:detect`.

The same model (the run's backbone layers, feature pyramid and shared FCOS head, TensorFlow's 'same' padding and
batch-norm settings, Glorot/He/N(0, 0.01) initialisation, the class prior bias), the same host-side FCOS assignment
(points at (j + 0.5)·stride, level ranges (4s, 8s), centre sampling 1.5·stride, smallest box wins), the same loss
(sigmoid focal α/γ over all points, 1 − GIoU of softplus-decoded ltrb and centre-ness BCE over positives, each / max(1,
positives)), optimizer (Adam with Optik's epsilon), per-epoch learning rates read from the Optik run, batch size,
horizontal flips and brightness shifts with the run's probabilities, and checkpoint rule (best validation mAP@0.5), on the data Optik exported.
Validation mAP@0.5 per epoch comes from the independent numpy COCOeval of packages/metrics/scripts. The test
set's raw outputs are written to --out; the caller decodes and scores them with the same Optik code as its own run,
so only training differs. Used for comparison only. Prints one JSON object on stdout.
"""
import argparse
import importlib.util
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
meta = json.load(open(f"{args.data}/meta.json"))
H, W, CH, K = meta["height"], meta["width"], meta["channels"], meta["numClasses"]
STRIDES = meta["strides"]
# The backbone maps the pyramid joins (Optik's pyramidStrides; default: the head's strides).
PYRAMID = meta.get("pyramidStrides") or STRIDES

oracle_path = pathlib.Path(__file__).resolve().parents[2] / "metrics" / "scripts" / "make-coco-fixtures.py"
spec = importlib.util.spec_from_file_location("coco_oracle", oracle_path)
coco_oracle = importlib.util.module_from_spec(spec)
spec.loader.exec_module(coco_oracle)


def load(split):
    info = meta["splits"][split]
    n = info["count"]
    x = np.fromfile(f"{args.data}/{split}.u8", dtype=np.uint8).reshape(n, H, W, CH)
    x = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
    return x, [np.array(b, dtype=np.float64).reshape(-1, 5) for b in info["boxes"]]


# --- model -----------------------------------------------------------------------------------------------------


def same_pad(x, kernel, stride):
    """TensorFlow's 'same' padding: total max(k − s, 0) (or by remainder), the extra pixel at the bottom/right."""
    def amount(size):
        total = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
        return total // 2, total - total // 2

    top, bottom = amount(x.shape[2])
    left, right = amount(x.shape[3])
    return F.pad(x, (left, right, top, bottom))


class SameConv(nn.Conv2d):
    def __init__(self, cin, cout, kernel, stride=1, bias=True, init="glorot"):
        super().__init__(cin, cout, kernel, stride, padding=0, bias=bias)
        if init == "glorot":
            nn.init.xavier_uniform_(self.weight)
        elif init == "he":
            # tfjs heNormal: a normal of stddev sqrt(2 / fan_in) truncated at 2 stddev, with no rescaling (unlike
            # Keras, tfjs does not divide by 0.8796, so the drawn weights' spread is 0.88 of the nominal stddev).
            fan_in = cin * kernel * kernel
            std = math.sqrt(2 / fan_in)
            nn.init.trunc_normal_(self.weight, std=std, a=-2 * std, b=2 * std)
        else:
            nn.init.normal_(self.weight, std=0.01)
        if bias:
            nn.init.zeros_(self.bias)

    def forward(self, x):
        return super().forward(same_pad(x, self.kernel_size[0], self.stride[0]))


def bn(c):
    # tfjs-layers batchNormalization: momentum 0.99 (PyTorch 0.01), epsilon 1e-3.
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


ACT = {"relu": F.relu, "linear": lambda x: x, "swish": F.silu, "elu": F.elu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}


class ConvBlock(nn.Module):
    def __init__(self, cin, layer):
        super().__init__()
        self.conv = SameConv(cin, layer["filters"], layer["kernelSize"], layer.get("strides", 1), bias=not layer.get("batchNorm"))
        self.bn = bn(layer["filters"]) if layer.get("batchNorm") else None
        self.act = ACT[layer.get("activation", "relu")]
        self.out = layer["filters"]

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)


class Residual(nn.Module):
    def __init__(self, cin, layer):
        super().__init__()
        f, k, s = layer["filters"], layer.get("kernelSize", 3), layer.get("strides", 1)
        self.conv1, self.bn1 = SameConv(cin, f, k, s, bias=False, init="he"), bn(f)
        self.conv2, self.bn2 = SameConv(f, f, k, 1, bias=False, init="he"), bn(f)
        self.proj = None
        if s != 1 or cin != f:
            self.proj, self.proj_bn = SameConv(cin, f, 1, s, bias=False, init="he"), bn(f)
        self.out = f

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = x if self.proj is None else self.proj_bn(self.proj(x))
        return F.relu(y + shortcut)


class Pool(nn.Module):
    def __init__(self, cin, layer):
        super().__init__()
        self.size, self.stride = layer.get("poolSize", 2), layer.get("strides") or layer.get("poolSize", 2)
        self.max = layer.get("pooling", layer.get("mode", "max")) == "max"
        self.out = cin

    def forward(self, x):
        x = same_pad(x, self.size, self.stride) if self.max else x
        return F.max_pool2d(x, self.size, self.stride) if self.max else F.avg_pool2d(x, self.size, self.stride)


class Detector(nn.Module):
    def __init__(self):
        super().__init__()
        blocks, c, size, taps = [], CH, H, []
        for layer in meta["layers"]:
            block = {"conv": ConvBlock, "residual": Residual, "pool": Pool}[layer["type"]](c, layer)
            blocks.append(block)
            c = block.out
            size = math.ceil(size / (layer.get("strides") or (layer.get("poolSize", 2) if layer["type"] == "pool" else 1)))
            taps.append((size, c))
        self.blocks = nn.ModuleList(blocks)
        # The map at each stride: the last body layer whose map is H / stride.
        self.tap = [max(i for i, (s, _) in enumerate(taps) if s * stride == H) for stride in PYRAMID]
        ch = meta["fpnChannels"]
        self.lateral = nn.ModuleList(SameConv(taps[i][1], ch, 1) for i in self.tap)
        merged = ch * 2 if meta["fpnMerge"] == "concat" else ch
        self.outs = nn.ModuleList(SameConv(merged if k < len(PYRAMID) - 1 else ch, ch, 3) for k in range(len(PYRAMID)))
        self.class_tower = nn.ModuleList(SameConv(ch, ch, 3) for _ in range(meta["headConvs"]))
        self.box_tower = nn.ModuleList(SameConv(ch, ch, 3) for _ in range(meta["headConvs"]))
        self.class_logits = SameConv(ch, K, 3, init="small")
        prior = meta["priorProbability"]
        nn.init.constant_(self.class_logits.bias, -math.log((1 - prior) / prior))
        self.box_ltrb = SameConv(ch, 4, 3, init="small")
        self.centerness = SameConv(ch, 1, 3, init="small")

    def forward(self, x):
        feats = []
        for block in self.blocks[: max(self.tap) + 1]:
            x = block(x)
            feats.append(x)
        laterals = [conv(feats[i]) for conv, i in zip(self.lateral, self.tap)]
        outs = [None] * len(laterals)
        for k in range(len(laterals) - 1, -1, -1):
            merged = laterals[k]
            if k + 1 < len(laterals):
                up = F.interpolate(outs[k + 1], scale_factor=PYRAMID[k + 1] // PYRAMID[k], mode="nearest")
                merged = merged + up if meta["fpnMerge"] == "add" else torch.cat([merged, up], 1)
            outs[k] = self.outs[k](merged)
        flat = []
        for level in (outs[PYRAMID.index(s)] for s in STRIDES):
            c = level
            for conv in self.class_tower:
                c = F.relu(conv(c))
            b = level
            for conv in self.box_tower:
                b = F.relu(conv(b))
            joined = torch.cat([self.class_logits(c), self.box_ltrb(b), self.centerness(b)], 1)
            flat.append(joined.permute(0, 2, 3, 1).reshape(x.shape[0], -1, K + 5))
        return torch.cat(flat, 1)


# --- FCOS assignment (host side, as Optik's encodeDetectionTargets) -------------------------------------------

points, point_strides, ranges = [], [], []
for k, s in enumerate(STRIDES):
    h, w = math.ceil(H / s), math.ceil(W / s)
    lower = 0 if k == 0 else 4 * s
    upper = math.inf if k == len(STRIDES) - 1 else 8 * s
    jj, ii = np.meshgrid(np.arange(w), np.arange(h))
    points.append(np.stack([(jj.ravel() + 0.5) * s, (ii.ravel() + 0.5) * s], 1))
    point_strides.append(np.full(h * w, s, dtype=np.float64))
    ranges.append(np.tile([lower, upper], (h * w, 1)))
POINTS, PSTRIDE, RANGES = np.concatenate(points), np.concatenate(point_strides), np.concatenate(ranges)
A = len(POINTS)
RADIUS = meta["centerSamplingRadius"]


def assign(boxes):
    dense = np.zeros((A, K + 6), dtype=np.float32)
    if len(boxes) == 0:
        return dense
    x, y = POINTS[:, 0:1], POINTS[:, 1:2]
    x0, y0, x1, y1 = (boxes[:, i][None, :] for i in range(4))
    l, t, r, b = x - x0, y - y0, x1 - x, y1 - y
    ok = np.minimum(np.minimum(l, t), np.minimum(r, b)) > 0
    reach = RADIUS * PSTRIDE[:, None]
    ok &= (np.abs(x - (x0 + x1) / 2) < reach) & (np.abs(y - (y0 + y1) / 2) < reach)
    m = np.maximum(np.maximum(l, t), np.maximum(r, b))
    ok &= (m > RANGES[:, 0:1]) & (m < RANGES[:, 1:2])
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[None, :].repeat(A, 0)
    area[~ok] = np.inf
    best = area.argmin(1)  # first of equal areas, as Optik
    pos = ok.any(1)
    idx = np.nonzero(pos)[0]
    g = best[idx]
    L, T, R, B = l[idx, g], t[idx, g], r[idx, g], b[idx, g]
    s = PSTRIDE[idx]
    dense[idx, boxes[g, 4].astype(int)] = 1
    dense[idx, K:K + 4] = np.stack([L / s, T / s, R / s, B / s], 1)
    dense[idx, K + 4] = np.sqrt((np.minimum(L, R) / np.maximum(L, R)) * (np.minimum(T, B) / np.maximum(T, B)))
    dense[idx, K + 5] = 1
    return dense


# --- loss (as Optik's fcosLoss) ----------------------------------------------------------------------------


def giou_ltrb(t, p):
    tx1, ty1, tx2, ty2 = -t[..., 0], -t[..., 1], t[..., 2], t[..., 3]
    px1, py1, px2, py2 = -p[..., 0], -p[..., 1], p[..., 2], p[..., 3]
    ta = (t[..., 0] + t[..., 2]) * (t[..., 1] + t[..., 3])
    pa = (p[..., 0] + p[..., 2]) * (p[..., 1] + p[..., 3])
    iw = (torch.minimum(tx2, px2) - torch.maximum(tx1, px1)).clamp(min=0)
    ih = (torch.minimum(ty2, py2) - torch.maximum(ty1, py1)).clamp(min=0)
    inter = iw * ih
    union = ta + pa - inter
    hull = (torch.maximum(tx2, px2) - torch.minimum(tx1, px1)) * (torch.maximum(ty2, py2) - torch.minimum(ty1, py1))
    eps = 1e-7
    return 1 - (inter / union.clamp(min=eps) - (hull - union) / hull.clamp(min=eps))


def fcos_loss(out, dense):
    cls_t, box_t, ctr_t, pos = dense[..., :K], dense[..., K:K + 4], dense[..., K + 4], dense[..., K + 5]
    cls_p, box_p, ctr_p = out[..., :K], F.softplus(out[..., K:K + 4]), out[..., K + 4]
    norm = pos.sum().clamp(min=1)
    p = torch.sigmoid(cls_p)
    pt = p * cls_t + (1 - p) * (1 - cls_t)
    a, gamma = meta["alpha"], meta["gamma"]
    focal = F.binary_cross_entropy_with_logits(cls_p, cls_t, reduction="none") * (1 - pt) ** gamma
    focal = focal * (cls_t * a + (1 - cls_t) * (1 - a))
    w = meta["lossWeights"]
    box = (giou_ltrb(box_t, box_p) * pos).sum()
    ctr = (F.binary_cross_entropy_with_logits(ctr_p, ctr_t, reduction="none") * pos).sum()
    return (w["classificationWeight"] * focal.sum() + w["boxWeight"] * box + w["centernessWeight"] * ctr) / norm


# --- decoding and validation mAP@0.5 ------------------------------------------------------------------------

DEC = meta["decode"]


def nms(boxes, scores, thresh):
    order = scores.argsort()[::-1]
    keep = []
    while len(order):
        i = order[0]
        keep.append(i)
        if len(order) == 1:
            break
        rest = order[1:]
        xx0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx1 - xx0, 0, None) * np.clip(yy1 - yy0, 0, None)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
        iou = inter / np.maximum(area(boxes[i]) + area(boxes[rest]) - inter, 1e-12)
        order = rest[iou <= thresh]
    return keep


def decode(out):
    out = out.numpy().astype(np.float64)
    scores = np.sqrt(1 / (1 + np.exp(-out[:, :K])) * (1 / (1 + np.exp(-out[:, K + 4:K + 5]))))
    ltrb = np.log1p(np.exp(out[:, K:K + 4])) * PSTRIDE[:, None]
    boxes = np.stack([POINTS[:, 0] - ltrb[:, 0], POINTS[:, 1] - ltrb[:, 1], POINTS[:, 0] + ltrb[:, 2], POINTS[:, 1] + ltrb[:, 3]], 1)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, W)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, H)
    a, c = np.nonzero(scores > DEC["scoreThreshold"])
    s = scores[a, c]
    top = s.argsort()[::-1][: DEC["preNmsTopK"]]
    a, c, s = a[top], c[top], s[top]
    kept = []
    for cls in np.unique(c):
        sel = np.nonzero(c == cls)[0]
        kept.extend(sel[nms(boxes[a[sel]], s[sel], DEC["iouThreshold"])])
    kept = sorted(kept, key=lambda i: -s[i])[: DEC["maxDetections"]]
    return [(boxes[a[i]], int(c[i]), float(s[i])) for i in kept]


def map50(model, x, truths):
    model.eval()
    gts, dts = [], []
    with torch.no_grad():
        for i in range(0, len(x), 64):
            out = model(x[i:i + 64])
            for j in range(out.shape[0]):
                img = i + j
                for b in truths[img]:
                    gts.append(coco_oracle.gt(img, int(b[4]), [b[0], b[1], b[2] - b[0], b[3] - b[1]]))
                for box, cls, score in decode(out[j]):
                    dts.append(coco_oracle.dt(img, cls, [box[0], box[1], box[2] - box[0], box[3] - box[1]], score))
    model.train()
    stats = coco_oracle.coco_eval(gts, dts, "bbox", list(range(len(x))), list(range(K)), [1, 10, 100])
    return float(stats["stats"][1] if isinstance(stats, dict) else stats[1])


# --- training --------------------------------------------------------------------------------------------------

train, val, test = load("train"), load("validation"), load("test")
train_dense = np.stack([assign(b) for b in train[1]])
flipped_dense = None
if meta["flip"] > 0:
    flip_boxes = [np.stack([W - b[:, 2], b[:, 1], W - b[:, 0], b[:, 3], b[:, 4]], 1) if len(b) else b for b in train[1]]
    flipped_dense = np.stack([assign(b) for b in flip_boxes])
model = Detector()
lrs = meta["learningRates"]
opt = torch.optim.Adam(model.parameters(), lr=lrs[0], eps=meta["epsilon"])
batch = meta["batchSize"]
best, best_state, train_seconds, samples, history = -1.0, None, 0.0, 0, []
for epoch, lr in enumerate(lrs):
    for g in opt.param_groups:
        g["lr"] = lr
    order = rng.permutation(len(train[0]))
    start = time.perf_counter()
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        x = train[0][idx]
        dense = train_dense[idx]
        if flipped_dense is not None:
            flip = rng.random(len(idx)) < meta["flip"]
            x = torch.where(torch.from_numpy(flip).view(-1, 1, 1, 1), x.flip(3), x)
            dense = np.where(flip[:, None, None], flipped_dense[idx], dense)
        if meta["brightness"]["p"] > 0:
            lo, hi = meta["brightness"]["delta"]
            on = rng.random(len(idx)) < meta["brightness"]["p"]
            delta = np.where(on, rng.uniform(lo, hi, len(idx)), 0.0).astype(np.float32)
            x = (x + torch.from_numpy(delta).view(-1, 1, 1, 1)).clamp(0, 1)
        out = model(x)
        loss = fcos_loss(out, torch.from_numpy(dense))
        opt.zero_grad()
        loss.backward()
        opt.step()
        samples += len(idx)
    train_seconds += time.perf_counter() - start
    v = map50(model, *val)
    history.append({"epoch": epoch + 1, "loss": loss.item(), "val_map50": v})
    print(f"port: epoch {epoch + 1}/{len(lrs)} loss {loss.item():.4f} val_map50 {v:.4f}", file=sys.stderr, flush=True)
    if v > best:
        best, best_state = v, {k: t.clone() for k, t in model.state_dict().items()}

model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    outs = torch.cat([model(test[0][i:i + 64]) for i in range(0, len(test[0]), 64)])
    outs.numpy().astype(np.float32).tofile(args.out)
    # The run's test-time views: the outputs of the mirrored images, mapped back and averaged by the caller.
    for view in meta.get("tta", []):
        dim = 3 if view == "hflip" else 2  # NCHW: width, height
        mirrored = torch.cat([model(test[0][i:i + 64].flip(dim)) for i in range(0, len(test[0]), 64)])
        mirrored.numpy().astype(np.float32).tofile(f"{args.out}.{view}")
print(json.dumps({
    "torch": torch.__version__,
    "threads": args.threads,
    "trainSamplesPerSecond": samples / train_seconds,
    "bestValMap50": best,
    "history": history,
}))
