"""The live map picture: a JPEG of the plot area plus axes, with points where the plane puts them."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from relu_viz import datasets, frame, network
from relu_viz.figures import live_image
from relu_viz.figures.trainer import CLASS_COLORS


def picture(region_ids: bool = False, outlines: bool = True) -> tuple[Image.Image, frame.Frame]:
    model = network.build([2, 8, 8, 1], "relu", init="he", seed=0)
    fr = frame.compute(model, region_ids=region_ids)
    data = datasets.make("circle", n=200, seed=0)
    raw = live_image.map_image(fr, data.x, data.y, np.arange(100), np.arange(100, 200), outlines=outlines)
    return Image.open(io.BytesIO(raw)), fr


def test_is_a_jpeg_of_plot_area_plus_margins():
    img, _ = picture()
    assert img.format == "JPEG"
    side = 480 + live_image.MARGIN + 8
    assert img.size == (side, side)


def test_to_pixels_maps_the_box_corners_and_centre():
    box = ((-6.0, 6.0), (-6.0, 6.0))
    pts = live_image.to_pixels(np.array([[-6.0, 6.0], [6.0, -6.0], [0.0, 0.0]]), box, 480)
    np.testing.assert_allclose(pts, [[0, 0], [480, 480], [240, 240]])


def test_a_lone_training_point_is_drawn_in_its_class_colour():
    model = network.build([2, 4, 1], "relu", init="he", seed=0)
    fr = frame.compute(model, exact=False)
    x = np.array([[3.0, -2.0]], dtype=np.float32)
    for cls in (0, 1):
        raw = live_image.map_image(fr, x, np.array([cls]), np.arange(1), None, outlines=False, quality=95)
        img = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB")).astype(int)
        px, py = live_image.to_pixels(x[0], fr.box, 480)
        centre = img[int(py) + 8, int(px) + live_image.MARGIN]  # plot area offset inside the canvas
        assert np.abs(centre - CLASS_COLORS[cls]).max() < 40, (cls, centre)


def test_region_colour_mode_and_outline_free_mode_render():
    img, fr = picture(region_ids=True, outlines=False)
    assert fr.region_ids is not None and img.size[0] > 480


def test_painted_regions_agree_with_locating_every_pixel():
    """The cheap regions view (each polygon painted) shows the same colours as the exact per-pixel
    lookup, apart from pixels on region edges."""
    model = network.build([2, 8, 8, 1], "relu", init="he", seed=3)
    data = datasets.make("spiral", n=200, seed=0)
    exact = frame.compute(model, region_ids=True)
    painted = frame.compute(model)
    args = (data.x, data.y, np.arange(0), None)
    a = live_image.map_image(exact, *args, outlines=False, quality=95)
    b = live_image.map_image(painted, *args, outlines=False, regions=True, quality=95)
    a = np.asarray(Image.open(io.BytesIO(a)).convert("RGB")).astype(int)
    b = np.asarray(Image.open(io.BytesIO(b)).convert("RGB")).astype(int)
    agree = (np.abs(a - b).max(axis=2) < 30).mean()
    assert agree > 0.97, agree
    # and it is not the plain probability picture: the regions make many distinct colours
    plain = live_image.map_image(painted, *args, outlines=False, quality=95)
    plain = np.asarray(Image.open(io.BytesIO(plain)).convert("RGB")).astype(int)
    assert (np.abs(plain - b).max(axis=2) >= 30).mean() > 0.2


def test_points_and_axes_are_drawn_once_per_dataset_and_shared():
    model = network.build([2, 4, 1], "relu", init="he", seed=0)
    fr = frame.compute(model, exact=False)
    data = datasets.make("circle", n=100, seed=1)
    live_image.map_image(fr, data.x, data.y, np.arange(50), np.arange(50, 100), outlines=False)
    layers = live_image._static_layers(data.x, data.y, np.arange(50), np.arange(50, 100), fr.box, 480)
    again = live_image._static_layers(
        data.x.copy(), data.y.copy(), np.arange(50), np.arange(50, 100), fr.box, 480
    )
    assert again[0] is layers[0]  # equal content, same cached drawing
    other = live_image._static_layers(data.x + 1, data.y, np.arange(50), np.arange(50, 100), fr.box, 480)
    assert other[0] is not layers[0]
    assert len(live_image._static) <= live_image.STATIC_CACHE
