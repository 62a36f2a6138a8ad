"""PyTorch port of Optik's U-Net segmenter (examples/segmentation/train.yaml), for `pnpm bench:segment`.

The same model as @optik/zoo's Segmenter (`depth` levels of two 3×3 'same' convolutions, batch norm with tfjs-layers'
settings and relu, a 2×2 max pool; a bottleneck with optional dropout; a decoder that upsamples by a 2×2 stride-2
transposed convolution or by tfjs's resize (half-pixel-free) then a 3×3 convolution with relu, concatenates
[upsampled, skip] and applies two 3×3 convolutions; a 1×1 convolution to the class logits), the same initialisation
(tfjs heNormal: normal truncated at 2σ, σ = √(2 / fan_in), no correction; Glorot uniform for the transposed and
logit convolutions; zero biases), the same loss as @optik/train's segmentationLoss (pixel cross-entropy weighted by
class, ignored pixels left out, plus soft Dice over batch·h·w with classes absent from the batch left out of the
mean), the same optimizer (Adam with Optik's betas and epsilon), per-epoch learning rates read from the Optik run,
batch size, validation batches and checkpoint rule (the run's monitor: val_loss, val_miou or val_pixel_accuracy), on
the data Optik exported (images and nearest-neighbour masks at the model's input size), without augmentation (the
bench trains both without). Before training it checks its parameter counts against Optik's, and that on Optik's
initial weights (init.f32) it gives Optik's logits and loss on the check batch; with sameInit it trains from those
weights (the default), else from its own draw of the same initialisers. The test set's predicted class maps are
written to --out; the caller scores them with Optik's own SegmentationMetrics, so only training differs. Used for
comparison only. Prints one JSON object on stdout.
"""
import argparse
import json
import math
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
args = parser.parse_args()
torch.set_num_threads(args.threads)
meta = json.load(open(f"{args.data}/meta.json"))
torch.manual_seed(meta["seed"])
rng = np.random.default_rng(meta["seed"])
H, W, CH, K = meta["height"], meta["width"], meta["channels"], meta["numClasses"]
ARCH = meta["model"]
LOSS = meta["loss"]


def load(split):
    n = meta["splits"][split]
    x = np.fromfile(f"{args.data}/{split}.images.u8", dtype=np.uint8).reshape(n, H, W, CH)
    y = np.fromfile(f"{args.data}/{split}.masks.u8", dtype=np.uint8).reshape(n, H, W)
    x = torch.from_numpy(x.transpose(0, 3, 1, 2).astype(np.float32) / 255.0).contiguous()
    return x, torch.from_numpy(y.astype(np.int64))


# --- model -----------------------------------------------------------------------------------------------------


def he_normal_(weight, fan_in):
    """tfjs heNormal: a normal of σ = √(2 / fan_in) re-drawn outside 2σ (tfjs truncatedNormal; no 0.88 correction)."""
    std = math.sqrt(2 / fan_in)
    nn.init.trunc_normal_(weight, std=std, a=-2 * std, b=2 * std)


def conv3x3(cin, cout, bias):
    conv = nn.Conv2d(cin, cout, 3, padding=1, bias=bias)  # 'same' for a 3×3 stride-1 kernel: one pixel each side
    he_normal_(conv.weight, 9 * cin)
    if bias:
        nn.init.zeros_(conv.bias)
    return conv


def bn(c):
    # tfjs-layers batchNormalization: momentum 0.99 (PyTorch 0.01), epsilon 1e-3.
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        norm = ARCH["batchNorm"]
        self.conv1, self.conv2 = conv3x3(cin, cout, not norm), conv3x3(cout, cout, not norm)
        self.bn1, self.bn2 = (bn(cout), bn(cout)) if norm else (nn.Identity(), nn.Identity())

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


def resize2x(x):
    """tfjs-layers upSampling2d ×2: tf.image.resizeBilinear / resizeNearestNeighbor without half-pixel centres
    (source pixel = output pixel / 2), unlike F.interpolate's bilinear."""
    if ARCH["interpolation"] == "nearest":
        return x.repeat_interleave(2, 2).repeat_interleave(2, 3)

    def along(t, dim):
        n = t.shape[dim]
        nxt = torch.cat([t.narrow(dim, 1, n - 1), t.narrow(dim, n - 1, 1)], dim)  # x[i + 1], clamped at the edge
        return torch.stack([t, (t + nxt) / 2], dim + 1).flatten(dim, dim + 1)

    return along(along(x, 2), 3)


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        if ARCH["upsampling"] == "transpose":
            # 2×2 stride 2 'same': exactly twice the size, no padding. Glorot's fans are symmetric in in/out.
            self.conv = nn.ConvTranspose2d(cin, cout, 2, stride=2)
            nn.init.xavier_uniform_(self.conv.weight)
            nn.init.zeros_(self.conv.bias)
            self.resize = False
        else:
            self.conv = conv3x3(cin, cout, True)
            self.resize = True

    def forward(self, x):
        return F.relu(self.conv(resize2x(x))) if self.resize else self.conv(x)


class UNet(nn.Module):
    def __init__(self):
        super().__init__()
        depth, base = ARCH["depth"], ARCH["baseFilters"]
        self.enc = nn.ModuleList()
        c = CH
        for level in range(depth):
            self.enc.append(DoubleConv(c, base * 2**level))
            c = base * 2**level
        self.bottleneck = DoubleConv(c, base * 2**depth)
        self.dropout = nn.Dropout(ARCH["dropout"]) if ARCH["dropout"] > 0 else nn.Identity()
        c = base * 2**depth
        self.up, self.dec = nn.ModuleList(), nn.ModuleList()
        for level in range(depth - 1, -1, -1):
            f = base * 2**level
            self.up.append(Up(c, f))
            self.dec.append(DoubleConv(2 * f, f))  # [upsampled, skip]: f + f channels
            c = f
        self.logits = nn.Conv2d(c, K, 1)
        nn.init.xavier_uniform_(self.logits.weight)
        nn.init.zeros_(self.logits.bias)

    def forward(self, x):
        skips = []
        for block in self.enc:
            x = block(x)
            skips.append(x)
            x = F.max_pool2d(x, 2, 2)
        x = self.dropout(self.bottleneck(x))
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], 1))
        return self.logits(x)


# --- loss (as Optik's segmentationLoss) ------------------------------------------------------------------------

EPS = 1e-7
CLASS_WEIGHTS = torch.tensor(LOSS["classWeights"] if LOSS.get("classWeights") else [1.0] * K, dtype=torch.float32)
DICE_KEEP = torch.tensor([0.0 if c == 0 and not LOSS["diceBackground"] else 1.0 for c in range(K)])


def segmentation_loss(logits, y):
    valid = y != LOSS["ignoreIndex"]
    t = F.one_hot(torch.where(valid, y, 0), K).permute(0, 3, 1, 2).float() * valid[:, None].float()
    log_p = F.log_softmax(logits, 1)
    w = CLASS_WEIGHTS.view(1, K, 1, 1)
    total = 0.0
    if LOSS["crossEntropy"] > 0:
        weighted = t * w
        ce = -(weighted * log_p).sum() / weighted.sum().clamp(min=EPS)
        total = total + LOSS["crossEntropy"] * ce
    if LOSS["dice"] > 0:
        p = F.softmax(logits, 1)
        axes = (0, 2, 3)
        intersection = (p * t).sum(axes)
        true_pixels = t.sum(axes)
        cardinality = (p * t.sum(1, keepdim=True)).sum(axes) + true_pixels
        s = LOSS["diceSmooth"]
        dice = (2 * intersection + s) / (cardinality + s).clamp(min=EPS)
        weight = (true_pixels > 0).float() * DICE_KEEP * CLASS_WEIGHTS
        total = total + LOSS["dice"] * ((1 - dice) * weight).sum() / weight.sum().clamp(min=EPS)
    return total


# --- validation (as the trainer's: loss weighted by batch size, mIoU/pixel accuracy of all pixels) ---------------


def scores(confusion):
    """Mean IoU over the classes with a non-empty union and pixel accuracy, as Optik's SegmentationMetrics."""
    tp = np.diag(confusion)
    union = confusion.sum(0) + confusion.sum(1) - tp
    present = union > 0
    miou = float((tp[present] / union[present]).mean()) if present.any() else 0.0
    total = confusion.sum()
    return miou, float(tp.sum() / total) if total > 0 else 0.0


def validate(model, x, y):
    model.eval()
    loss_sum, confusion = 0.0, np.zeros((K, K), dtype=np.int64)
    batch = meta["validationBatchSize"]
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = model(x[i:i + batch])
            t = y[i:i + batch]
            loss_sum += segmentation_loss(logits, t).item() * len(t)
            valid = t != LOSS["ignoreIndex"]
            pairs = t[valid] * K + logits.argmax(1)[valid]
            confusion += np.bincount(pairs.numpy(), minlength=K * K).reshape(K, K)
    model.train()
    miou, accuracy = scores(confusion)
    return {"val_loss": loss_sum / len(x), "val_miou": miou, "val_pixel_accuracy": accuracy}


# --- the check against Optik's model -----------------------------------------------------------------------------


def optik_tensors(model):
    """(Optik's weight name, this model's tensor, how Optik lays it out) for every weight, as the zoo names them."""
    def conv(name, m):
        yield f"{name}/kernel", m.weight, "kernel"
        if m.bias is not None:
            yield f"{name}/bias", m.bias, "vector"

    def block(name, b):
        for j, (c, n) in enumerate([(b.conv1, b.bn1), (b.conv2, b.bn2)], 1):
            yield from conv(f"{name}_conv{j}", c)
            if isinstance(n, nn.BatchNorm2d):
                for key, t in [("gamma", n.weight), ("beta", n.bias), ("moving_mean", n.running_mean), ("moving_variance", n.running_var)]:
                    yield f"{name}_bn{j}/{key}", t, "vector"

    for level, b in enumerate(model.enc):
        yield from block(f"enc{level}", b)
    yield from block("bottleneck", model.bottleneck)
    for level, up, dec in zip(range(ARCH["depth"] - 1, -1, -1), model.up, model.dec):
        yield from conv(f"dec{level}_upconv" if up.resize else f"dec{level}_up", up.conv)
        yield from block(f"dec{level}", dec)
    yield from conv("logits", model.logits)


def load_optik_weights(model):
    """Copies the Optik model's initial weights (init.f32, in meta's order) into `model`."""
    flat = np.fromfile(f"{args.data}/init.f32", dtype=np.float32)
    ours = {name: (t, layout) for name, t, layout in optik_tensors(model)}
    if sorted(ours) != sorted(w["name"] for w in meta["weights"]):
        sys.exit(f"port: Optik's weights {sorted(w['name'] for w in meta['weights'])} are not the port's {sorted(ours)}")
    offset = 0
    for w in meta["weights"]:
        size = int(np.prod(w["shape"]))
        value = torch.from_numpy(flat[offset:offset + size].reshape(w["shape"]))
        offset += size
        t, layout = ours[w["name"]]
        # Optik's kernels are [kh, kw, in, out] (transposed convolutions [kh, kw, out, in]): both are PyTorch's
        # [out, in, kh, kw] / [in, out, kh, kw] read backwards.
        with torch.no_grad():
            t.copy_(value.permute(3, 2, 0, 1) if layout == "kernel" else value)


train, val, test = load("train"), load("validation"), load("test")
model = UNet()
trainable = sum(p.numel() for p in model.parameters())
total = trainable + sum(b.numel() for name, b in model.named_buffers() if name.endswith(("running_mean", "running_var")))
expected = meta["parameters"]
print(f"port: U-Net with {trainable} trainable parameters ({total} with batch-norm statistics)", file=sys.stderr, flush=True)
if (trainable, total) != (expected["trainable"], expected["total"]):
    sys.exit(
        f"port: the U-Net has {trainable} trainable / {total} parameters, Optik's {expected['trainable']} / "
        f"{expected['total']}: the architectures differ"
    )
# With Optik's initial weights, the port must give Optik's logits and loss on the check batch (inference mode).
reference = UNet()
load_optik_weights(reference)
reference.eval()
check = meta["check"]
with torch.no_grad():
    logits = reference(train[0][: check["count"]])
    loss = segmentation_loss(logits, train[1][: check["count"]]).item()
optik_logits = np.fromfile(f"{args.data}/check-logits.f32", dtype=np.float32).reshape(check["count"], H, W, K)
logit_error = float(np.abs(logits.permute(0, 2, 3, 1).numpy() - optik_logits).max())
loss_error = abs(loss - check["loss"])
print(
    f"port: on Optik's initial weights, logits within {logit_error:.2e} and loss {loss:.6f} vs Optik's {check['loss']:.6f}",
    file=sys.stderr,
    flush=True,
)
# The loss tolerance is float32's: tfjs sums a batch's pixel losses one after another (about 2e-4 off the exact mean
# of 4 × 96 × 96 pixels), PyTorch pairwise.
if logit_error > 1e-3 * max(1.0, float(np.abs(optik_logits).max())) or loss_error > 1e-3 * max(1.0, abs(check["loss"])):
    sys.exit("port: the port's logits or loss differ from Optik's on the same weights: the model or loss differs")
if meta["sameInit"]:
    model = reference
    model.train()

lrs = meta["learningRates"]
adam = meta["optimizer"]
opt = torch.optim.Adam(model.parameters(), lr=lrs[0], betas=(adam["beta1"], adam["beta2"]), eps=adam["epsilon"])
batch = meta["batchSize"]
checkpoint = meta["checkpoint"]
best, best_state, best_epoch, train_seconds, samples, history = None, None, None, 0.0, 0, []
for epoch, lr in enumerate(lrs):
    for g in opt.param_groups:
        g["lr"] = lr
    order = torch.from_numpy(rng.permutation(len(train[0])))
    start = time.perf_counter()
    loss_sum = 0.0
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        loss = segmentation_loss(model(train[0][idx]), train[1][idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
        samples += len(idx)
    seconds = time.perf_counter() - start
    train_seconds += seconds
    logs = {"epoch": epoch + 1, "loss": loss_sum / len(order), **validate(model, *val), "samples_per_second": len(order) / seconds}
    history.append(logs)
    print(
        f"port: epoch {epoch + 1}/{len(lrs)} loss {logs['loss']:.4f} val_loss {logs['val_loss']:.4f} "
        f"val_miou {logs['val_miou']:.4f} val_pixel_accuracy {logs['val_pixel_accuracy']:.4f} "
        f"{logs['samples_per_second']:.1f} samples/s",
        file=sys.stderr,
        flush=True,
    )
    if checkpoint is not None:
        value = logs[checkpoint["monitor"]]
        better = (
            best is None
            or (value < best - checkpoint["minDelta"] if checkpoint["mode"] == "min" else value > best + checkpoint["minDelta"])
        )
        if better:
            best, best_epoch, best_state = value, epoch + 1, {k: t.clone() for k, t in model.state_dict().items()}

if best_state is not None:
    model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    ids = torch.cat([model(test[0][i:i + 16]).argmax(1) for i in range(0, len(test[0]), 16)])
ids.numpy().astype(np.uint8).tofile(args.out)
print(json.dumps({
    "torch": torch.__version__,
    "threads": torch.get_num_threads(),
    "parameters": {"trainable": trainable, "total": total},
    "trainSamplesPerSecond": samples / train_seconds,
    "bestEpoch": best_epoch,
    "history": history,
}))
