#!/usr/bin/python3
"""Generates the reference fixtures for @optik/metrics' COCO detection evaluation (numpy; torchvision for box IoU).

Run from anywhere with Debian's Python (apt-get install -y python3-numpy python3-torch; torchvision 0.14 from
`apt-get download python3-torchvision && dpkg-deb -x python3-torchvision_*.deb /tmp/tv`):

    PYTHONPATH=/tmp/tv/usr/lib/python3/dist-packages /usr/bin/python3 packages/metrics/scripts/make-coco-fixtures.py

Writes packages/metrics/src/__tests__/fixtures/coco-*.json (and box-iou-torchvision.json when torchvision imports).

There is no pycocotools in Debian 12, so the oracle below is an independent numpy implementation of COCOeval
(cocodataset/cocoapi PythonAPI/pycocotools/cocoeval.py, BSD-2) written from its documented algorithm, keeping its
structure (evaluateImg / accumulate / summarize) and its numpy calls (linspace thresholds, mergesort argsort,
cumsum, searchsorted 'left', np.spacing(1)) so that the float results are the same. Mask IoU is computed here from
boolean pixel arrays, not from run lengths, so it shares no code path with the TypeScript RLE functions. The VOC
oracle follows py-faster-rcnn's voc_eval (VOC2010+ all-point AP) with continuous IoU and crowd = difficult.

Cases: random scenes (all area ranges, crowds, images without ground truth or without detections, a category that
is never annotated, scores rounded to create ties), more than 100 detections per image, hand-placed adversarial
boxes (IoUs of exactly 0.5, 0.75, 0.85 = 17/20 and 0.95, areas exactly 32² and 96², GT `area` unlike the box),
custom maxDets, and masks for iouType 'segm'.
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "__tests__", "fixtures")

# pycocotools Params (setDetParams)
IOU_THRS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)
REC_THRS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)
AREA_RNG = [[0**2, 1e5**2], [0**2, 32**2], [32**2, 96**2], [96**2, 1e5**2]]
AREA_LBL = ["all", "small", "medium", "large"]


# ---------------------------------------------------------------- IoU


def bb_iou(dt, gt, iscrowd):
    """maskApi.c bbIou on [x, y, w, h] boxes: [D, G]; a crowd GT divides by the detection area."""
    out = np.zeros((len(dt), len(gt)))
    for g, G in enumerate(gt):
        ga = G[2] * G[3]
        for d, D in enumerate(dt):
            da = D[2] * D[3]
            w = min(D[2] + D[0], G[2] + G[0]) - max(D[0], G[0])
            if w <= 0:
                continue
            h = min(D[3] + D[1], G[3] + G[1]) - max(D[1], G[1])
            if h <= 0:
                continue
            i = w * h
            u = da if iscrowd[g] else da + ga - i
            out[d, g] = i / u
    return out


def mask_iou(dt, gt, iscrowd):
    """Pixel IoU of boolean masks: [D, G]; a crowd GT divides by the detection area."""
    out = np.zeros((len(dt), len(gt)))
    for d, D in enumerate(dt):
        for g, G in enumerate(gt):
            inter = float(np.logical_and(D, G).sum())
            union = float(D.sum()) if iscrowd[g] else float(np.logical_or(D, G).sum())
            out[d, g] = inter / union if union > 0 else 0.0
    return out


# ---------------------------------------------------------------- COCOeval


def coco_eval(gts, dts, iou_type, img_ids, cat_ids, max_dets):
    """gts: dicts with image_id, category_id, bbox, area, iscrowd, mask; dts: image_id, category_id, bbox, score, mask."""
    img_ids = list(np.unique(img_ids))
    cat_ids = list(np.unique(cat_ids))
    for i, g in enumerate(gts):
        g["id"] = i + 1
        g["ignore"] = int(g["iscrowd"])
    for i, d in enumerate(dts):
        d["id"] = i + 1
        d["area"] = float(d["mask"].sum()) if iou_type == "segm" else d["bbox"][2] * d["bbox"][3]
    G = {(i, k): [g for g in gts if g["image_id"] == i and g["category_id"] == k] for i in img_ids for k in cat_ids}
    D = {(i, k): [d for d in dts if d["image_id"] == i and d["category_id"] == k] for i in img_ids for k in cat_ids}

    def compute_iou(i, k):
        gt, dt = G[i, k], D[i, k]
        if len(gt) == 0 and len(dt) == 0:
            return []
        inds = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[j] for j in inds][: max_dets[-1]]
        if len(gt) == 0 or len(dt) == 0:
            return []
        crowd = [int(o["iscrowd"]) for o in gt]
        if iou_type == "segm":
            return mask_iou([d["mask"] for d in dt], [g["mask"] for g in gt], crowd)
        return bb_iou([d["bbox"] for d in dt], [g["bbox"] for g in gt], crowd)

    ious = {(i, k): compute_iou(i, k) for i in img_ids for k in cat_ids}

    def evaluate_img(i, k, a_rng, max_det):
        gt, dt = G[i, k], D[i, k]
        if len(gt) == 0 and len(dt) == 0:
            return None
        for g in gt:
            g["_ignore"] = 1 if (g["ignore"] or g["area"] < a_rng[0] or g["area"] > a_rng[1]) else 0
        gtind = np.argsort([g["_ignore"] for g in gt], kind="mergesort")
        gt = [gt[j] for j in gtind]
        dtind = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[j] for j in dtind[0:max_det]]
        iscrowd = [int(o["iscrowd"]) for o in gt]
        iou = ious[i, k][:, gtind] if len(ious[i, k]) > 0 else ious[i, k]
        T, Gn, Dn = len(IOU_THRS), len(gt), len(dt)
        gtm = np.zeros((T, Gn))
        dtm = np.zeros((T, Dn))
        gt_ig = np.array([g["_ignore"] for g in gt])
        dt_ig = np.zeros((T, Dn))
        if not len(iou) == 0:
            for tind, t in enumerate(IOU_THRS):
                for dind, d in enumerate(dt):
                    best = min([t, 1 - 1e-10])
                    m = -1
                    for gind, g in enumerate(gt):
                        if gtm[tind, gind] > 0 and not iscrowd[gind]:
                            continue
                        if m > -1 and gt_ig[m] == 0 and gt_ig[gind] == 1:
                            break
                        if iou[dind, gind] < best:
                            continue
                        best = iou[dind, gind]
                        m = gind
                    if m == -1:
                        continue
                    dt_ig[tind, dind] = gt_ig[m]
                    dtm[tind, dind] = gt[m]["id"]
                    gtm[tind, m] = d["id"]
        a = np.array([d["area"] < a_rng[0] or d["area"] > a_rng[1] for d in dt]).reshape((1, len(dt)))
        dt_ig = np.logical_or(dt_ig, np.logical_and(dtm == 0, np.repeat(a, T, 0)))
        return {
            "dtMatches": dtm,
            "dtScores": [d["score"] for d in dt],
            "gtIgnore": gt_ig,
            "dtIgnore": dt_ig,
        }

    eval_imgs = [
        evaluate_img(i, k, a_rng, max_dets[-1]) for k in cat_ids for a_rng in AREA_RNG for i in img_ids
    ]

    # accumulate
    T, R, K, A, M = len(IOU_THRS), len(REC_THRS), len(cat_ids), len(AREA_RNG), len(max_dets)
    precision = -np.ones((T, R, K, A, M))
    recall = -np.ones((T, K, A, M))
    I0, A0 = len(img_ids), len(AREA_RNG)
    for k in range(K):
        Nk = k * A0 * I0
        for a in range(A):
            Na = a * I0
            for m, max_det in enumerate(max_dets):
                E = [eval_imgs[Nk + Na + i] for i in range(I0)]
                E = [e for e in E if e is not None]
                if len(E) == 0:
                    continue
                dt_scores = np.concatenate([e["dtScores"][0:max_det] for e in E])
                inds = np.argsort(-dt_scores, kind="mergesort")
                dtm = np.concatenate([e["dtMatches"][:, 0:max_det] for e in E], axis=1)[:, inds]
                dt_ig = np.concatenate([e["dtIgnore"][:, 0:max_det] for e in E], axis=1)[:, inds]
                gt_ig = np.concatenate([e["gtIgnore"] for e in E])
                npig = np.count_nonzero(gt_ig == 0)
                if npig == 0:
                    continue
                tps = np.logical_and(dtm, np.logical_not(dt_ig))
                fps = np.logical_and(np.logical_not(dtm), np.logical_not(dt_ig))
                tp_sum = np.cumsum(tps, axis=1).astype(dtype=np.float64)
                fp_sum = np.cumsum(fps, axis=1).astype(dtype=np.float64)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum)):
                    tp = np.array(tp)
                    fp = np.array(fp)
                    nd = len(tp)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    q = np.zeros((R,))
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    pr = pr.tolist()
                    q = q.tolist()
                    for j in range(nd - 1, 0, -1):
                        if pr[j] > pr[j - 1]:
                            pr[j - 1] = pr[j]
                    found = np.searchsorted(rc, REC_THRS, side="left")
                    try:
                        for ri, pi in enumerate(found):
                            q[ri] = pr[pi]
                    except IndexError:
                        pass
                    precision[t, :, k, a, m] = np.array(q)

    # summarize
    def summarize(ap, iou_thr=None, area="all", max_det=100, k=None):
        aind = [j for j, lbl in enumerate(AREA_LBL) if lbl == area]
        mind = [j for j, md in enumerate(max_dets) if md == max_det]
        if ap:
            s = precision
            if iou_thr is not None:
                s = s[np.where(iou_thr == IOU_THRS)[0]]
            s = s[:, :, :, aind, mind] if k is None else s[:, :, [k]][:, :, :, aind, mind]
        else:
            s = recall
            if iou_thr is not None:
                s = s[np.where(iou_thr == IOU_THRS)[0]]
            s = s[:, :, aind, mind]
        return -1.0 if len(s[s > -1]) == 0 else float(np.mean(s[s > -1]))

    md = max_dets
    stats = [
        summarize(1),
        summarize(1, iou_thr=0.5, max_det=md[2]),
        summarize(1, iou_thr=0.75, max_det=md[2]),
        summarize(1, area="small", max_det=md[2]),
        summarize(1, area="medium", max_det=md[2]),
        summarize(1, area="large", max_det=md[2]),
        summarize(0, max_det=md[0]),
        summarize(0, max_det=md[1]),
        summarize(0, max_det=md[2]),
        summarize(0, area="small", max_det=md[2]),
        summarize(0, area="medium", max_det=md[2]),
        summarize(0, area="large", max_det=md[2]),
    ]
    per_category = []
    for k, cat in enumerate(cat_ids):
        npig = sum(
            int((eval_imgs[k * A0 * I0 + i]["gtIgnore"] == 0).sum())
            for i in range(I0)
            if eval_imgs[k * A0 * I0 + i] is not None
        )
        per_category.append(
            {
                "categoryId": int(cat),
                "ap": summarize(1, max_det=md[2], k=k),
                "ap50": summarize(1, iou_thr=0.5, max_det=md[2], k=k),
                "ap75": summarize(1, iou_thr=0.75, max_det=md[2], k=k),
                "numGroundTruths": npig,
            }
        )
    curves = [
        {"categoryId": int(cat), "iouThreshold": float(IOU_THRS[t]), "precision": precision[t, :, k, 0, M - 1].tolist()}
        for k, cat in enumerate(cat_ids)
        for t in (0, 5, 7)
    ]
    return {"stats": stats, "perCategory": per_category, "prCurves": curves}


# ---------------------------------------------------------------- VOC (py-faster-rcnn voc_eval, VOC2010+ metric)


def voc_ap(rec, prec):
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc_eval(gts, dts, cat_ids, thresh=0.5, iou_type="bbox"):
    """py-faster-rcnn voc_eval (VOC2010+ metric); iou_type "segm" matches by mask IoU instead of box IoU."""
    per_category = []
    for cat in sorted(set(cat_ids)):
        recs = {}
        npos = 0
        for g in gts:
            if g["category_id"] != cat:
                continue
            r = recs.setdefault(g["image_id"], {"bbox": [], "mask": [], "difficult": [], "det": []})
            r["bbox"].append(g["bbox"])
            r["mask"].append(g.get("mask"))
            r["difficult"].append(bool(g["iscrowd"]))
            r["det"].append(False)
            npos += 0 if g["iscrowd"] else 1
        if npos == 0:
            per_category.append({"categoryId": int(cat), "ap": -1.0, "numGroundTruths": 0})
            continue
        mine = [d for d in dts if d["category_id"] == cat]
        order = np.argsort([-d["score"] for d in mine], kind="mergesort")
        nd = len(mine)
        tp = np.zeros(nd)
        fp = np.zeros(nd)
        for j, di in enumerate(order):
            d = mine[di]
            r = recs.get(d["image_id"])
            ovmax = -np.inf
            if r is not None:
                b = np.array(d["bbox"], dtype=np.float64)  # x, y, w, h
                bbgt = np.array(r["bbox"], dtype=np.float64)
                ixmin = np.maximum(bbgt[:, 0], b[0])
                iymin = np.maximum(bbgt[:, 1], b[1])
                ixmax = np.minimum(bbgt[:, 0] + bbgt[:, 2], b[0] + b[2])
                iymax = np.minimum(bbgt[:, 1] + bbgt[:, 3], b[1] + b[3])
                iw = np.maximum(ixmax - ixmin, 0.0)
                ih = np.maximum(iymax - iymin, 0.0)
                inters = iw * ih
                uni = b[2] * b[3] + bbgt[:, 2] * bbgt[:, 3] - inters
                overlaps = np.where(uni > 0, inters / np.where(uni > 0, uni, 1), 0.0)
                if iou_type == "segm":
                    overlaps = mask_iou([d["mask"]], r["mask"], [False] * len(r["mask"]))[0]
                ovmax = np.max(overlaps)
                jmax = int(np.argmax(overlaps))
            if ovmax > thresh:
                if not r["difficult"][jmax]:
                    if not r["det"][jmax]:
                        tp[j] = 1.0
                        r["det"][jmax] = True
                    else:
                        fp[j] = 1.0
            else:
                fp[j] = 1.0
        fp = np.cumsum(fp)
        tp = np.cumsum(tp)
        rec = tp / float(npos)
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        per_category.append({"categoryId": int(cat), "ap": voc_ap(rec, prec), "numGroundTruths": npos})
    scored = [c["ap"] for c in per_category if c["ap"] > -1]
    return {"map": float(np.mean(scored)) if scored else -1.0, "perCategory": per_category}


# ---------------------------------------------------------------- cases


def rle_counts(mask):
    """Column-major run lengths of a boolean mask, starting with the 0-run."""
    flat = mask.flatten(order="F").astype(np.int8)
    change = np.flatnonzero(np.diff(flat)) + 1
    edges = np.concatenate(([0], change, [flat.size]))
    counts = np.diff(edges).tolist()
    if flat.size > 0 and flat[0] == 1:
        counts = [0] + counts
    return [int(c) for c in counts]


def to_json(case_name, gts, dts, iou_type, img_ids, cat_ids, max_dets, description):
    def ann(a, det):
        out = {"imageId": int(a["image_id"]), "categoryId": int(a["category_id"]), "bbox": [float(v) for v in a["bbox"]]}
        if det:
            out["score"] = float(a["score"])
        else:
            if a.get("area_given"):
                out["area"] = float(a["area"])
            if a["iscrowd"]:
                out["iscrowd"] = True
        if a.get("mask") is not None:
            h, w = a["mask"].shape
            out["segmentation"] = {"size": [h, w], "counts": rle_counts(a["mask"])}
        return out

    jg = [ann(g, False) for g in gts]
    jd = [ann(d, True) for d in dts]
    expected = coco_eval(gts, dts, iou_type, img_ids, cat_ids, max_dets)
    expected["voc"] = voc_eval(gts, dts, cat_ids, iou_type=iou_type)
    return {
        "name": case_name,
        "description": description,
        "numpyVersion": np.__version__,
        "input": {
            "iouType": iou_type,
            "imageIds": [int(i) for i in img_ids],
            "categoryIds": [int(k) for k in cat_ids],
            "maxDets": list(max_dets),
            "groundTruths": jg,
            "detections": jd,
        },
        "expected": expected,
    }


def gt(image_id, cat, bbox, iscrowd=False, area=None, mask=None):
    g = {"image_id": image_id, "category_id": cat, "bbox": list(bbox), "iscrowd": iscrowd, "mask": mask}
    if area is not None:
        g["area"], g["area_given"] = area, True
    elif mask is not None:
        g["area"] = float(mask.sum())
    else:
        g["area"] = bbox[2] * bbox[3]
    return g


def dt(image_id, cat, bbox, score, mask=None):
    return {"image_id": image_id, "category_id": cat, "bbox": list(bbox), "score": score, "mask": mask}


def random_scene(rng, num_images, num_cats, width, height, dets_per_gt, fp_rate, crowd_rate, empty_gt, empty_dt):
    gts, dts = [], []
    for img in range(1, num_images + 1):
        num_gt = 0 if img in empty_gt else int(rng.integers(1, 7))
        for _ in range(num_gt):
            cat = int(rng.integers(0, num_cats - 1))  # the last category is never annotated
            scale = rng.choice([12.0, 48.0, 140.0])  # small, medium and large objects
            w = float(np.clip(rng.uniform(0.5, 1.5) * scale, 2, width - 1))
            h = float(np.clip(rng.uniform(0.5, 1.5) * scale, 2, height - 1))
            x = float(rng.uniform(0, width - w))
            y = float(rng.uniform(0, height - h))
            box = [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]
            crowd = bool(rng.random() < crowd_rate)
            gts.append(gt(img, cat, box, iscrowd=crowd))
            if img in empty_dt:
                continue
            for _ in range(int(rng.poisson(dets_per_gt))):
                jitter = rng.normal(0, rng.choice([0.02, 0.08, 0.2]), size=4) * np.array([w, h, w, h])
                bx = [box[0] + jitter[0], box[1] + jitter[1], max(1.0, box[2] + jitter[2]), max(1.0, box[3] + jitter[3])]
                label = cat if rng.random() < 0.9 else int(rng.integers(0, num_cats))
                dts.append(dt(img, label, [round(v, 2) for v in bx], round(float(rng.random()), 2)))
        if img in empty_dt:
            continue
        for _ in range(int(rng.poisson(fp_rate))):
            w = float(rng.uniform(4, 120))
            h = float(rng.uniform(4, 120))
            box = [float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h)), w, h]
            dts.append(dt(img, int(rng.integers(0, num_cats)), [round(v, 2) for v in box], round(float(rng.random()), 2)))
    return gts, dts


def case_random():
    rng = np.random.default_rng(1301)
    gts, dts = random_scene(rng, 14, 5, 320, 240, 1.6, 2.0, 0.08, empty_gt={4, 9}, empty_dt={6})
    return to_json(
        "coco-bbox-random",
        gts,
        dts,
        "bbox",
        list(range(1, 15)) + [40],  # image 40 has nothing at all
        list(range(5)),
        [1, 10, 100],
        "14 random scenes, 5 categories (4 never annotated), crowds, images without GT / detections, tied scores",
    )


def case_many():
    rng = np.random.default_rng(1302)
    gts, dts = random_scene(rng, 3, 2, 400, 400, 3.0, 0.0, 0.0, empty_gt=set(), empty_dt=set())
    # 130 extra low-confidence detections on image 1 and 120 on image 2 (more than 100 per image and class)
    for img, n in ((1, 130), (2, 120)):
        for _ in range(n):
            w, h = float(rng.uniform(5, 60)), float(rng.uniform(5, 60))
            box = [float(rng.uniform(0, 400 - w)), float(rng.uniform(0, 400 - h)), w, h]
            dts.append(dt(img, 0, [round(v, 1) for v in box], round(float(rng.uniform(0, 0.6)), 1)))
    return to_json(
        "coco-bbox-many", gts, dts, "bbox", [1, 2, 3], [0, 1], [1, 10, 100], "over 100 detections per image and class"
    )


def case_adversarial():
    g, d = [], []
    # image 1: exact IoUs against a 20×10 box: 17/20 = 0.85, 19/20 = 0.95 (as [0, 0, 19, 10]), 15/20 = 0.75, 10/20
    g.append(gt(1, 0, [0, 0, 20, 10]))
    d.append(dt(1, 0, [0, 0, 17, 10], 0.9))
    g.append(gt(1, 0, [100, 0, 20, 10]))
    d.append(dt(1, 0, [100, 0, 19, 10], 0.9))
    g.append(gt(1, 1, [0, 50, 20, 10]))
    d.append(dt(1, 1, [0, 50, 15, 10], 0.8))
    g.append(gt(1, 1, [100, 50, 20, 10]))
    d.append(dt(1, 1, [100, 50, 10, 10], 0.8))
    # image 2: a crowd with three detections inside, a regular GT overlapping the crowd, ties across images
    g.append(gt(2, 0, [0, 0, 100, 100], iscrowd=True))
    g.append(gt(2, 0, [10, 10, 30, 30]))
    d.append(dt(2, 0, [10, 10, 30, 30], 0.9))  # ties with image 1's 0.9s
    d.append(dt(2, 0, [12, 10, 30, 30], 0.7))  # second hit on the regular GT: goes to the crowd
    d.append(dt(2, 0, [60, 60, 20, 20], 0.7))
    d.append(dt(2, 0, [150, 150, 20, 20], 0.7))  # outside everything: FP
    # image 3: areas exactly 32² and 96² (inclusive at both ends), GT area given unlike its box
    g.append(gt(3, 1, [0, 0, 32, 32]))
    d.append(dt(3, 1, [0, 0, 32, 32], 0.6))
    g.append(gt(3, 1, [50, 0, 96, 96]))
    d.append(dt(3, 1, [50, 0, 96, 96], 0.6))
    g.append(gt(3, 0, [200, 0, 50, 50], area=900.0))  # small by its area, medium by its box
    d.append(dt(3, 0, [200, 0, 50, 50], 0.65))
    d.append(dt(3, 0, [300, 300, 8, 8], 0.65))  # small FP
    # image 4: no ground truth, detections only; image 5: ground truth, no detections
    d.append(dt(4, 1, [0, 0, 50, 50], 0.99))
    g.append(gt(5, 2, [0, 0, 40, 40]))
    g.append(gt(5, 0, [0, 0, 10, 10]))
    # image 6: ties in score within an image, the later one hits
    g.append(gt(6, 2, [0, 0, 40, 40]))
    d.append(dt(6, 2, [300, 0, 40, 40], 0.5))
    d.append(dt(6, 2, [0, 0, 40, 40], 0.5))
    return to_json(
        "coco-bbox-adversarial",
        g,
        d,
        "bbox",
        [1, 2, 3, 4, 5, 6],
        [0, 1, 2, 3],
        [1, 10, 100],
        "exact IoUs 0.5/0.75/0.85/0.95, crowds, area boundaries 32² and 96², given areas, empty images, ties",
    )


def case_maxdets():
    rng = np.random.default_rng(1303)
    gts, dts = random_scene(rng, 6, 3, 200, 200, 2.5, 3.0, 0.1, empty_gt=set(), empty_dt=set())
    return to_json("coco-bbox-maxdets", gts, dts, "bbox", list(range(1, 7)), [0, 1, 2], [2, 5, 100], "maxDets [2, 5, 100]")


def blob(rng, h, w):
    """A random ellipse or rectangle mask inside an h × w image."""
    yy, xx = np.mgrid[0:h, 0:w]
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry, rx = rng.uniform(1.5, h / 2), rng.uniform(1.5, w / 2)
    if rng.random() < 0.5:
        m = ((yy + 0.5 - cy) / ry) ** 2 + ((xx + 0.5 - cx) / rx) ** 2 <= 1
    else:
        m = (np.abs(yy + 0.5 - cy) <= ry) & (np.abs(xx + 0.5 - cx) <= rx)
    if not m.any():
        m[int(min(cy, h - 1)), int(min(cx, w - 1))] = True
    return m


def mask_box(m):
    ys, xs = np.nonzero(m)
    return [float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1)]


def case_segm():
    rng = np.random.default_rng(1304)
    gts, dts = [], []
    sizes = {1: (40, 56), 2: (64, 48), 3: (150, 170), 4: (30, 30), 5: (90, 60)}
    for img, (h, w) in sizes.items():
        for _ in range(int(rng.integers(2, 6))):
            cat = int(rng.integers(0, 3))
            m = blob(rng, h, w)
            crowd = bool(rng.random() < 0.12)
            gts.append(gt(img, cat, mask_box(m), iscrowd=crowd, mask=m))
            for _ in range(int(rng.integers(1, 3))):
                shifted = np.roll(m, (int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), axis=(0, 1))
                grown = shifted.copy()
                for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
                    grown |= np.roll(shifted, (dy, dx), axis=(0, 1))
                edge = grown & ~shifted
                # ragged outline: some outside-edge pixels added, some inside-edge pixels removed
                pm = (shifted & ~(np.roll(edge, 1, axis=1) & shifted & (rng.random((h, w)) < 0.3))) | (
                    edge & (rng.random((h, w)) < 0.3)
                )
                if not pm.any():
                    continue
                dts.append(dt(img, cat, mask_box(pm), round(float(rng.random()), 2), mask=pm))
        for _ in range(int(rng.integers(0, 3))):
            pm = blob(rng, h, w)
            dts.append(dt(img, int(rng.integers(0, 3)), mask_box(pm), round(float(rng.random()), 2), mask=pm))
    return to_json(
        "coco-segm-random", gts, dts, "segm", [1, 2, 3, 4, 5], [0, 1, 2], [1, 10, 100], "masks of 5 image sizes, crowds"
    )


def box_iou_case():
    """torchvision.ops.box_iou on xyxy boxes: random, nested, touching, identical and zero-area pairs."""
    import torch
    import torchvision
    from torchvision.ops import box_iou

    rng = np.random.default_rng(1305)
    xy = rng.uniform(0, 100, size=(40, 2))
    wh = rng.uniform(0, 60, size=(40, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    special = np.array(
        [[0, 0, 10, 10], [0, 0, 10, 10], [10, 0, 20, 10], [2, 2, 5, 5], [0, 0, 0, 10], [5, 5, 5, 5], [0, 0, 17, 10]],
        dtype=np.float64,
    )
    a = np.concatenate([special, boxes[:20]])
    b = np.concatenate([special[::-1], boxes[20:]])
    iou = box_iou(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)).numpy()
    return {
        "name": "box-iou-torchvision",
        "torchvisionVersion": torchvision.__version__,
        "boxesA": a.tolist(),
        "boxesB": b.tolist(),
        # 0/0 (two empty boxes) is NaN in torchvision, written as null
        "iou": [[None if np.isnan(v) else float(v) for v in row] for row in iou],
    }


CASES = [case_random, case_many, case_adversarial, case_maxdets, case_segm]


def main():
    os.makedirs(OUT, exist_ok=True)
    outputs = [make() for make in CASES]
    try:
        outputs.append(box_iou_case())
    except ImportError as error:
        print("skipping box-iou-torchvision.json:", error)
    for case in outputs:
        path = os.path.join(OUT, case["name"] + ".json")
        with open(path, "w") as fh:
            json.dump(case, fh, separators=(",", ":"))
            fh.write("\n")
        print("wrote", os.path.relpath(path), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
