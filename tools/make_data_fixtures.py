#!/usr/bin/env python3
"""Goldens for the data pipeline (tests/test_transforms.cpp, tests/test_image_folder.cpp), from torchvision 0.14:

- tests/fixtures/data/transforms.txt + <case>.npy: each torchvision.transforms.functional call on small uint8 and
  float32 images (and a Fashion-MNIST-like grey one), one line per case: "case=<name> input=<image> op=<function>
  <parameters>"; the output is <case>.npy (float32; uint8 outputs hold their integer values).
- tests/fixtures/data/images/: small PNG (grey, grey+alpha, RGB, RGBA, palette with and without transparency,
  16-bit, 1-bit, interlaced) and JPEG (colour, grey) files, with what PIL decodes them to after convert("RGB") and
  convert("L") (what ImageFolder's loader gives), as <file>.rgb.npy / <file>.l.npy.
- tests/fixtures/data/image_folder.txt: a folder tree ("create=<path>" lines: classes, nested folders, upper-case
  and unsupported extensions) and ImageFolder's classes and sample list for it ("sample=<path> target=<index>").

Dev-time only:  /usr/bin/python3 tools/make_data_fixtures.py
"""
import os
import tempfile

import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "data")
NEAREST, BILINEAR = InterpolationMode.NEAREST, InterpolationMode.BILINEAR


def save(name, tensor):
    np.save(os.path.join(ROOT, name + ".npy"), tensor.to(torch.float32).numpy())


def images():
    g = torch.Generator().manual_seed(26)
    u8 = torch.randint(0, 256, (3, 11, 13), dtype=torch.uint8, generator=g)
    # A smooth grey picture with sharp edges, like a Fashion-MNIST item: resizes and rotations have real work to do.
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    blob = ((((yy - 13.5) / 9) ** 2 + ((xx - 12) / 6) ** 2) < 1).float() * (120 + 4 * xx)
    grey = blob.clamp(0, 255).to(torch.uint8).unsqueeze(0)
    return {"u8": u8, "f32": u8.float() / 255, "grey": grey, "batch": torch.stack([u8, u8.flip(-1)])}


def cases():
    """(name, input, op, parameters as text, torchvision call)."""
    c = []

    def add(name, image, op, params, fn):
        c.append((name, image, op, params, fn))

    add("to_tensor", "u8", "to_tensor", "", lambda x: F.convert_image_dtype(x, torch.float32))
    add("to_uint8", "f32", "convert_uint8", "", lambda x: F.convert_image_dtype(x, torch.uint8))
    add("normalize", "f32", "normalize", "mean=0.5,0.4,0.3 std=0.2,0.25,0.3",
        lambda x: F.normalize(x, [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]))
    for image in ("u8", "f32", "grey", "batch"):
        for size in ((7, 9), (20, 25), (8,), (30, 31)):
            for mode, interp in (("bilinear", BILINEAR), ("nearest", NEAREST)):
                s = ",".join(map(str, size))
                add(f"resize_{image}_{mode}_{s.replace(',', 'x')}", image, "resize", f"size={s} interpolation={mode}",
                    lambda x, size=list(size), interp=interp: F.resize(x, size, interp))
    add("resize_max_size", "u8", "resize", "size=8 interpolation=bilinear max_size=9",
        lambda x: F.resize(x, [8], BILINEAR, max_size=9))
    add("resize_double", "grey", "resize", "size=56 interpolation=nearest", lambda x: F.resize(x, [56], NEAREST))
    for size in ((5, 6), (14, 15), (6,), (11, 20)):
        s = ",".join(map(str, size))
        add(f"center_crop_{s.replace(',', 'x')}", "u8", "center_crop", f"size={s}",
            lambda x, size=list(size): F.center_crop(x, size))
    add("crop_outside", "u8", "crop", "top=-2 left=3 height=6 width=12", lambda x: F.crop(x, -2, 3, 6, 12))
    add("resized_crop", "grey", "resized_crop", "top=3 left=2 height=20 width=17 size=12,10",
        lambda x: F.resized_crop(x, 3, 2, 20, 17, [12, 10]))
    for mode in ("constant", "edge", "reflect", "symmetric"):
        for padding in ((2,), (1, 3), (1, 2, 3, 4), (-1, 2)):
            p = ",".join(map(str, padding))
            add(f"pad_{mode}_{p.replace(',', '_').replace('-', 'm')}", "u8", "pad", f"padding={p} fill=7 mode={mode}",
                lambda x, padding=list(padding), mode=mode: F.pad(x, padding, 7 if mode == "constant" else 0, mode))
    add("pad_float_fill", "f32", "pad", "padding=2,1 fill=0.25 mode=constant", lambda x: F.pad(x, [2, 1], 0.25))
    add("hflip", "u8", "hflip", "", F.hflip)
    add("vflip", "u8", "vflip", "", F.vflip)
    for image in ("u8", "f32", "grey"):
        for mode, interp in (("nearest", NEAREST), ("bilinear", BILINEAR)):
            add(f"rotate_{image}_{mode}", image, "rotate", f"angle=33.5 interpolation={mode}",
                lambda x, interp=interp: F.rotate(x, 33.5, interp))
            add(f"rotate_{image}_{mode}_fill", image, "rotate", f"angle=-71 interpolation={mode} fill=10",
                lambda x, interp=interp: F.rotate(x, -71.0, interp, fill=[10.0] * x.shape[-3]))
    add("rotate_expand", "u8", "rotate", "angle=45 interpolation=nearest expand=1",
        lambda x: F.rotate(x, 45.0, NEAREST, expand=True))
    add("rotate_center", "u8", "rotate", "angle=17 interpolation=bilinear center=3,4",
        lambda x: F.rotate(x, 17.0, BILINEAR, center=[3, 4]))
    for image in ("u8", "f32", "grey"):
        for mode, interp in (("nearest", NEAREST), ("bilinear", BILINEAR)):
            add(f"affine_{image}_{mode}", image, "affine",
                f"angle=20 translate=2,-1 scale=1.2 shear=10,5 interpolation={mode} fill=0",
                lambda x, interp=interp: F.affine(x, 20.0, [2, -1], 1.2, [10.0, 5.0], interp,
                                                  fill=[0.0] * x.shape[-3]))
    for image in ("u8", "f32"):
        for n in (1, 3):
            add(f"grayscale_{image}_{n}", image, "grayscale", f"channels={n}",
                lambda x, n=n: F.rgb_to_grayscale(x, n))
        for name, factor, fn in (("brightness", 1.3, F.adjust_brightness), ("contrast", 0.6, F.adjust_contrast),
                                 ("saturation", 1.7, F.adjust_saturation), ("hue", 0.2, F.adjust_hue),
                                 ("hue", -0.45, F.adjust_hue), ("brightness", 0.4, F.adjust_brightness),
                                 ("contrast", 1.8, F.adjust_contrast), ("saturation", 0.3, F.adjust_saturation)):
            add(f"{name}_{image}_{str(factor).replace('-', 'm')}", image, name, f"factor={factor}",
                lambda x, factor=factor, fn=fn: fn(x, factor))
    add("brightness_grey", "grey", "brightness", "factor=1.5", lambda x: F.adjust_brightness(x, 1.5))
    add("contrast_grey", "grey", "contrast", "factor=0.5", lambda x: F.adjust_contrast(x, 0.5))
    add("erase", "f32", "erase", "i=2 j=3 h=4 w=5 value=0.1,0.2,0.3",
        lambda x: F.erase(x, 2, 3, 4, 5, torch.tensor([0.1, 0.2, 0.3])[:, None, None]))
    return c


def transforms():
    imgs = images()
    for name, image in imgs.items():
        save("input_" + name, image)
    lines = []
    for name, image, op, params, fn in cases():
        save(name, fn(imgs[image].clone()))
        lines.append(f"case={name} input={image} op={op} {params}".strip())
    with open(os.path.join(ROOT, "transforms.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def image_files():
    folder = os.path.join(ROOT, "images")
    os.makedirs(folder, exist_ok=True)
    g = np.random.default_rng(26)
    rgb = g.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    alpha = g.integers(0, 256, (6, 8), dtype=np.uint8)
    made = {
        "grey.png": Image.fromarray(rgb[..., 0], "L"),
        "grey_alpha.png": Image.fromarray(np.dstack([rgb[..., 0], alpha]), "LA"),
        "rgb.png": Image.fromarray(rgb, "RGB"),
        "rgba.png": Image.fromarray(np.dstack([rgb, alpha]), "RGBA"),
        "palette.png": Image.fromarray(rgb, "RGB").quantize(colors=7),
        "grey16.png": Image.fromarray((rgb[..., 0].astype(np.uint16) * 257 + 3).astype(np.uint16), "I;16"),
        "bits1.png": Image.fromarray(rgb[..., 0] > 127).convert("1"),
        "colour.jpg": Image.fromarray(rgb, "RGB"),
        "grey.jpg": Image.fromarray(rgb[..., 0], "L"),
    }
    for name, image in made.items():
        path = os.path.join(folder, name)
        if name.endswith(".jpg"):
            image.save(path, quality=90)
        else:
            image.save(path)
    # A palette with a transparent entry (tRNS) and an interlaced RGB file.
    trns = Image.fromarray(rgb, "RGB").quantize(colors=5)
    trns.info["transparency"] = 2
    trns.save(os.path.join(folder, "palette_trns.png"), transparency=2)
    Image.fromarray(rgb, "RGB").save(os.path.join(folder, "interlaced.png"), interlace=1)
    for name in sorted(os.listdir(folder)):
        if name.endswith(".npy"):
            continue
        with Image.open(os.path.join(folder, name)) as image:
            for mode, suffix in (("RGB", "rgb"), ("L", "l")):
                decoded = np.asarray(image.convert(mode))
                chw = decoded.transpose(2, 0, 1) if decoded.ndim == 3 else decoded[None]
                np.save(os.path.join(folder, f"{name}.{suffix}.npy"), chw.astype(np.float32))


def image_folder():
    tree = ["cat/b.png", "cat/a.PNG", "cat/notes.txt", "cat/z/deep.jpg", "cat/y.jpeg", "dog/2.jpg", "dog/10.jpg",
            "dog/sub/x.png", "dog/sub2/a.png", "ant_eater/only.png", "ant_eater/Ignored.gif", "file_at_root.png"]
    lines = [f"create={p}" for p in tree]
    with tempfile.TemporaryDirectory() as root:
        for p in tree:
            os.makedirs(os.path.dirname(os.path.join(root, p)), exist_ok=True)
            open(os.path.join(root, p), "wb").close()
        dataset = torchvision.datasets.ImageFolder(root, loader=lambda p: p,
                                                   is_valid_file=lambda p: p.lower().endswith((".png", ".jpg", ".jpeg")))
        lines.append("classes=" + ",".join(dataset.classes))
        lines += [f"sample={os.path.relpath(p, root)} target={t}" for p, t in dataset.samples]
    with open(os.path.join(ROOT, "image_folder.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    os.makedirs(ROOT, exist_ok=True)
    transforms()
    image_files()
    image_folder()
    print("torchvision", torchvision.__version__, "->", ROOT)
