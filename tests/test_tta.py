"`chapter7.tta` as installed: the five crops, fastai's `tta` options, five-crop TTA of whole photos and `compare_tta`"
import warnings
import matplotlib
matplotlib.use('Agg')
import numpy as np
import pytest
import torch
import torch.nn.functional as F
import matplotlib.pyplot as plt
from PIL import Image
from torchvision.transforms.functional import five_crop
from fastai.vision.all import (Learner, DataLoaders, PILImage, TensorImage, Normalize, accuracy, imagenet_stats, image2tensor,
                               set_seed, xresnet18)
from chapter7.data import make_synthetic_imagenette, get_dls
from chapter7.tta import *

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    "Four classes of rectangular synthetic photos, 48 pixels on the short side"
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=24, n_valid=12,
                                     n_classes=4, size=48)

@pytest.fixture(scope='module')
def learn(synth):
    "An xresnet18 trained for 2 epochs on photos presized to 40 pixels, in batches of 32-pixel images"
    dls = get_dls(16, 32, path=synth, presize=40, seed=42, num_workers=0)
    set_seed(42, reproducible=True)
    learn = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(2, 3e-3)
    return learn

def by_hand(learn, files, presize:int, size:int, crops=FIVE_CROPS) -> torch.Tensor:
    "Five-crop TTA written out: open each photo, resize its short side, crop, normalize, predict, average the softmax"
    mean, std = (torch.tensor(s).view(1, 3, 1, 1) for s in imagenet_stats)
    learn.model.eval()
    out = []
    for fn in files:
        x = image2tensor(resize_short(PILImage.create(fn), presize)).float()[None] / 255
        views = [five_crop(x, size)[FIVE_CROPS.index(c)] for c in crops]
        with torch.no_grad(): out.append(torch.stack([F.softmax(learn.model((v - mean) / std), 1)[0] for v in views]).mean(0))
    return torch.stack(out)

def test_five_crops_positions():
    x = TensorImage(torch.arange(3*6*6).view(3, 6, 6))
    crops = five_crops(x, 4)
    assert len(crops) == 5
    for crop, expected in zip(crops, (x[:, :4, :4], x[:, :4, 2:], x[:, 2:, :4], x[:, 2:, 2:], x[:, 1:5, 1:5])):
        assert torch.equal(crop, expected)
    assert five_crops(x, (2, 4))[4].shape == (3, 2, 4)
    assert len(five_crops(torch.zeros(3, 40, 40), np.int64(16))) == 5   # a NumPy integer is a whole number too

def test_five_crops_bad_sizes():
    x = torch.zeros(3, 6, 6)
    with pytest.raises(ValueError, match='larger than the image'): five_crops(x, 7)
    for bad in (0, -2, (4, 0), (2, 2, 2), 16.5, True):
        with pytest.raises(ValueError, match='positive whole number of pixels'): five_crops(x, bad)

def test_show_five_crops():
    fig = show_five_crops(TensorImage(torch.rand(3, 40, 40)), 32)
    assert len(fig.axes) == 6 and len(fig.axes[0].patches) == 5
    assert [ax.get_title() for ax in fig.axes[1:]] == list(FIVE_CROPS)
    for ax in fig.axes[1:]: assert ax.images[0].get_array().shape == (32, 32, 3)
    odd = TensorImage(torch.rand(3, 43, 43))   # 11 pixels to spare: the centre crop starts at round(5.5) = 6
    assert torch.equal(five_crops(odd, 32)[4], odd[:, 6:38, 6:38])
    assert show_five_crops(odd, 32).axes[0].patches[4].get_xy() == (5.5, 5.5)   # outlined around pixels 6..37
    plt.close('all')

def test_resize_short_keeps_the_shape():
    wide = PILImage(Image.new('RGB', (50, 30)))
    assert resize_short(wide, 60).size == (100, 60)
    assert resize_short(PILImage(Image.new('RGB', (30, 50))), 15).size == (15, 25)
    assert isinstance(resize_short(wide, 60), PILImage)
    for bad in (0, 2.5, None):
        with pytest.raises(ValueError, match='presize must be a positive whole number'): resize_short(wide, bad)

def test_show_crop_and_squish():
    fig = show_crop_and_squish(PILImage(Image.new('RGB', (40, 80))), 32)
    assert [ax.get_title() for ax in fig.axes] == ['photo 40x80', 'centre crop', 'squished']
    assert fig.axes[0].patches[0].get_xy() == (-0.5, 19.5)   # the centre square of the tall photo
    for ax in fig.axes[1:]: assert ax.images[0].get_array().shape == (32, 32, 3)
    plt.close('all')

def test_tta_blends_augmented_and_plain(learn):
    "fastai's `tta`: 0.75 augmented + 0.25 plain; the plain part is `get_preds`; `use_max` and `n` as documented"
    set_seed(1); (aug, plain), targs = learn.tta(beta=None)
    set_seed(1); blended, _ = learn.tta()
    assert torch.allclose(blended, torch.lerp(aug, plain, 0.25), atol=1e-6)
    assert blended.shape == (len(learn.dls.valid_ds), learn.dls.c)
    assert torch.allclose(blended.sum(1), torch.ones(len(blended)), atol=1e-5)
    assert torch.allclose(plain, learn.get_preds()[0], atol=1e-6)
    set_seed(1); maxed, _ = learn.tta(use_max=True)   # the maximum of several values is at least their mean
    assert (maxed >= plain - 1e-6).all() and (maxed >= aug - 1e-6).all() and (maxed.sum(1) >= 1 - 1e-5).all()
    set_seed(1); (aug1, plain1), _ = learn.tta(n=1, beta=None)
    assert torch.allclose(plain1, plain, atol=1e-6)   # the plain pass does not depend on n
    assert not torch.allclose(aug1, aug)              # the augmented one does: one random view against the mean of four

def test_five_crop_tta_crops_the_whole_photo(learn):
    "Each crop comes from the whole photo resized to 40 pixels on its short side, not from its centre square"
    files = learn.dls.valid_ds.items
    assert any(PILImage.create(f).size[0] != PILImage.create(f).size[1] for f in files)   # rectangular photos
    preds, targs = five_crop_tta(learn)
    assert preds.shape == (len(files), learn.dls.c)
    assert torch.equal(targs, learn.get_preds()[1])
    assert torch.allclose(preds, by_hand(learn, files, 40, 32), atol=1e-4)
    centre, _ = five_crop_tta(learn, crops=('centre',))
    assert torch.allclose(centre, by_hand(learn, files, 40, 32, crops=('centre',)), atol=1e-4)
    corners, _ = five_crop_tta(learn, crops=('top left', 'bottom right'), presize=48)
    assert torch.allclose(corners, by_hand(learn, files, 48, 32, crops=('top left', 'bottom right')), atol=1e-4)
    maxed, _ = five_crop_tta(learn, use_max=True)
    assert (maxed >= preds - 1e-6).all()
    assert accuracy(preds, targs).item() >= 0.6   # 4 classes: chance is 0.25

def test_square_photos_match_crops_of_presized_squares(synth, tmp_path):
    "On square photos the whole photo is its centre square: the same crops as `TakeCrop` cuts from presized batches"
    square = tmp_path/'imagenette2-160'
    for fn in synth.rglob('*'):
        dest = square/fn.relative_to(synth)
        if fn.is_dir(): continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if fn.suffix == '.JPEG':
            im = Image.open(fn); side = min(im.size)
            im.crop((0, 0, side, side)).save(dest, quality=95)
        else: dest.write_bytes(fn.read_bytes())
    dls = get_dls(16, 32, path=square, presize=40, seed=42, num_workers=0)
    set_seed(42, reproducible=True)
    learn = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy)
    full = presized_dl(dls.valid)
    old = torch.stack([learn.get_preds(dl=full.new(after_batch=[*full.after_batch.fs, TakeCrop((32, 32), i)]))[0]
                       for i in range(5)]).mean(0)
    assert torch.allclose(five_crop_tta(learn)[0], old, atol=1e-5)

def test_five_crop_tta_on_the_fast_path(synth, learn, tmp_path):
    "The fast path's validation set numbers its images; five-crop TTA reads the same photos from their files"
    fast = get_dls(16, 32, path=synth, presize=40, seed=42, num_workers=0, fast=True, cache_dir=tmp_path, device='cpu')
    same_model = Learner(fast, learn.model, metrics=accuracy)
    preds, targs = five_crop_tta(same_model)
    ref, ref_targs = five_crop_tta(learn)
    assert torch.equal(targs, ref_targs) and torch.allclose(preds, ref, atol=1e-5)

def test_five_crop_tta_errors(learn):
    with pytest.raises(ValueError, match='crops must be some of'): five_crop_tta(learn, crops=('middle',))
    with pytest.raises(ValueError, match='crops must be some of'): five_crop_tta(learn, crops=())
    with pytest.raises(ValueError, match='larger than the image'): five_crop_tta(learn, size=48)
    with warnings.catch_warnings(record=True) as caught:   # crops far smaller than the presized photo: closer up than training saw
        warnings.simplefilter('always'); five_crop_tta(learn, size=16)
    assert any('much closer up than in training' in str(c.message) for c in caught), caught
    no_valid = Learner(DataLoaders(learn.dls.train), learn.model)
    with pytest.raises(ValueError, match='no validation set'): five_crop_tta(no_valid)
    empty = learn.dls.valid.new(learn.dls.valid_ds.new_empty())
    with pytest.raises(ValueError, match='DataLoader is empty'): five_crop_tta(learn, empty)
    with pytest.raises(ValueError, match='DataLoader is empty'): photo_dl(learn, empty)

def test_compare_tta(learn):
    table = compare_tta(learn)
    assert list(table.index) == ['plain', 'centre crop', 'tta (n=4)', 'five-crop tta', 'five-crop tta (max)']
    assert list(table.columns) == ['accuracy', 'seconds', 'time_ratio']
    preds, targs = learn.get_preds()
    assert table.loc['plain', 'accuracy'] == pytest.approx(accuracy(preds, targs).item())
    assert table.loc['five-crop tta', 'accuracy'] == pytest.approx(accuracy(*five_crop_tta(learn)).item())
    assert table.loc['plain', 'time_ratio'] == 1.0
    assert table.loc['tta (n=4)', 'time_ratio'] > 1.2 and table.loc['five-crop tta', 'time_ratio'] > 1.2, table
    with pytest.raises(ValueError, match='n must be at least 1'): compare_tta(learn, n=0)
    with pytest.raises(ValueError, match='no validation set'): compare_tta(Learner(DataLoaders(learn.dls.train), learn.model))
    with pytest.raises(ValueError, match='DataLoader is empty'): compare_tta(learn, learn.dls.valid.new(learn.dls.valid_ds.new_empty()))

def test_image_helpers_take_paths_and_pil_images(tmp_path):
    "A file path, a PIL image or a PILImage, converted to RGB as fastai opens files: an RGBA picture gives 3-channel crops"
    rgba = Image.new('RGBA', (40, 30), (10, 200, 30, 100))
    rgba.save(tmp_path/'photo.png')
    for img in (rgba, PILImage(rgba.copy()), tmp_path/'photo.png', str(tmp_path/'photo.png'), Image.new('L', (40, 30))):
        crops = five_crops(img, 16)
        assert len(crops) == 5 and crops[0].shape == (3, 16, 16)
        assert resize_short(img, 15).mode == 'RGB' and resize_short(img, 15).size == (20, 15)
        fig = show_crop_and_squish(img, 16)
        assert fig.axes[1].images[0].get_array().shape == (16, 16, 3)
        assert show_five_crops(img, 16).axes[1].images[0].get_array().shape == (16, 16, 3)
        plt.close('all')
    assert five_crops(tmp_path/'photo.png', 16)[0][:, 0, 0].tolist() == [10, 200, 30]   # the alpha dropped
    with pytest.raises(TypeError, match='a file path, a PIL image or a fastai PILImage'): five_crops([1, 2], 4)
    with pytest.raises(ValueError, match='Cannot read image'): resize_short(tmp_path/'nowhere.png', 15)

def test_image_tensors_must_be_one_image():
    for bad in (torch.zeros(6, 6), torch.zeros(2, 3, 6, 6), torch.zeros(4, 6, 6)):
        with pytest.raises(ValueError, match='shaped \\(channels, height, width\\) with 1 or 3 channels'): five_crops(bad, 4)
    assert image_tensor(torch.zeros(1, 6, 6)).shape == (1, 6, 6)

def test_bad_numbers_are_refused(learn):
    for bad in (0, -1, 2.5, float('inf'), float('nan')):
        with pytest.raises(ValueError, match='n must be'): compare_tta(learn, n=bad)
    for bad in (0, 2.5, float('nan')):
        with pytest.raises(ValueError, match='size must be'): show_crop_and_squish(PILImage(Image.new('RGB', (40, 30))), bad)
        with pytest.raises(ValueError, match='presize must be'): five_crop_tta(learn, presize=bad)
