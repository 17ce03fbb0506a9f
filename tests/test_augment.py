"`chapter7.augment` as installed: the options checker, augmented copies, the explorer and the Albumentations transform"
import io, contextlib, os
os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')   # no network check when Albumentations is imported
import matplotlib
matplotlib.use('Agg')
import numpy as np
import pytest, torch
import matplotlib.pyplot as plt
from fastai.vision.all import (DataBlock, CategoryBlock, GrandparentSplitter, Resize, PILImage, PILImageBW,
                               image2tensor, set_seed, get_image_files)
from chapter7.data import make_synthetic_imagenette, open_image, imagenette_files, ImagenetteLabeller, ImageOpenBlock
from chapter7.augment import *

OFF = dict(do_flip=False, max_rotate=0, max_zoom=1., max_lighting=0, max_warp=0)   # every random option off

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=8, n_valid=4,
                                     n_classes=3, size=96)

@pytest.fixture(scope='module')
def img(tmp_path_factory):
    "A 160-pixel picture of the synthetic 'gas pump' class"
    src = make_synthetic_imagenette(tmp_path_factory.mktemp('img')/'synth', n_train=2, n_valid=1, size=160)
    return open_image(get_image_files(src/'train'/'n03425413').sorted()[0])

@pytest.fixture(scope='module')
def plain(img): return augment_copies(img, 4, **OFF)

def diff(a, b): return (a - b).abs().mean().item()
def changed(xs, ref): return [x for x in xs if diff(x, ref) > 1e-3]

def test_check_aug_params():
    assert check_aug_params() == AUG_DEFAULTS
    assert AUG_DEFAULTS == dict(do_flip=True, flip_vert=False, max_rotate=10., min_zoom=1., max_zoom=1.1, max_lighting=0.2,
                                max_warp=0.2, p_affine=0.75, p_lighting=0.75, mult=1., pad_mode='reflection', min_scale=1.)
    assert check_aug_params(max_rotate=30)['max_rotate'] == 30
    for bad, message in [(dict(min_zoom=1.2, max_zoom=1.1), 'min_zoom <= max_zoom'), (dict(min_scale=0), 'min_scale'),
                         (dict(max_rotate=-5), 'max_rotate must be at least 0'), (dict(max_rotation=5), 'Unknown augmentation options'),
                         (dict(p_affine=1.5), 'p_affine is a probability'), (dict(p_lighting=-0.1), 'p_lighting is a probability'),
                         (dict(mult=-1), 'mult must be at least 0'), (dict(max_lighting=0.6, mult=2), 'max_lighting \\* mult must be below 1'),
                         (dict(pad_mode='wrap'), 'pad_mode must be one of')]:
        with pytest.raises(ValueError, match=message): check_aug_params(**bad)

def test_copies_off_and_seeded(img, plain):
    assert plain.shape == (4, 3, 128, 128)
    assert torch.allclose(plain[1:], plain[0].expand(3, -1, -1, -1), atol=1e-5)
    assert torch.allclose(plain[0], image2tensor(Resize(128)(img, split_idx=1)).float()/255, atol=1e-5)   # the centre square
    aug = augment_copies(img, 4)
    assert all(diff(aug[i], aug[0]) > 1e-3 for i in range(1, 4))
    assert torch.equal(augment_copies(img, 4), aug)            # the seed repeats the draws
    assert diff(augment_copies(img, 4, seed=1), aug) > 1e-3
    state = __import__('random').getstate()
    augment_copies(img, 2)
    assert __import__('random').getstate() == state           # the global random state is left as it was

def test_copies_bad_input(img):
    with pytest.raises(ValueError, match='n must be at least 1'): augment_copies(img, 0)
    for bad in (0, 32.5):
        with pytest.raises(ValueError, match='size must be a whole number of pixels'): augment_copies(img, 2, bad)

def test_flip(img, plain):
    flips = augment_copies(img, 16, **{**OFF, 'do_flip': True})
    mirrored = [torch.allclose(f, plain[0].flip(-1), atol=1e-4) for f in flips]
    same = [torch.allclose(f, plain[0], atol=1e-4) for f in flips]
    assert all(m or s for m, s in zip(mirrored, same)) and any(mirrored) and any(same)

def test_lighting_keeps_the_geometry(img, plain):
    lit = augment_copies(img, 16, **{**OFF, 'max_lighting': 0.5})
    assert lit.mean(dim=(1, 2, 3)).std() > 0.01                # brightness varies from copy to copy
    grey = lambda t: t.mean(dim=0).numpy().ravel()
    assert min(np.corrcoef(grey(l), grey(plain[0]))[0, 1] for l in lit) > 0.9   # but the picture stays in place

def test_rotate_zoom_warp_crop(img, plain):
    centre = lambda t: t[..., 60:68, 60:68]
    rot = changed(augment_copies(img, 16, **{**OFF, 'max_rotate': 30}), plain[0])
    assert rot and all(diff(centre(r), centre(plain[0])) < 0.5 * diff(r, plain[0]) for r in rot)   # the centre moves least
    sharpness = lambda x: (x[..., :, 1:] - x[..., :, :-1]).abs().mean().item()
    zoomed = changed(augment_copies(img, 16, **{**OFF, 'min_zoom': 2., 'max_zoom': 2.}), plain[0])
    assert zoomed and all(sharpness(z) < 0.8 * sharpness(plain[0]) for z in zoomed)   # twice the size: softer edges
    assert changed(augment_copies(img, 16, **{**OFF, 'max_warp': 0.4}), plain[0])
    crops = augment_copies(img, 8, **OFF, min_scale=0.35)
    assert crops.shape == (8, 3, 128, 128) and all(diff(c, plain[0]) > 1e-3 for c in crops)

def test_probabilities(img, plain):
    rotated = lambda n, p: changed(augment_copies(img, n, **{**OFF, 'max_rotate': 30, 'p_affine': p}), plain[0])
    assert len(rotated(16, 1.)) == 16 and len(rotated(16, 0.)) == 0
    assert 4 <= len(rotated(32, 0.5)) <= 28
    lighting = lambda p, n=16: changed(augment_copies(img, n, **{**OFF, 'max_lighting': 0.4, 'p_lighting': p}), plain[0])
    assert len(lighting(0.)) == 0 and len(lighting(1.)) == 16
    kept = 1 - len(lighting(0.5, 400)) / 400
    assert 0.18 < kept < 0.32, kept                            # brightness and contrast both skipped: 0.5 * 0.5
    kept = 1 - len(changed(augment_copies(img, 400, **{**OFF, 'max_warp': 0.4, 'p_affine': 0.5}), plain[0])) / 400
    assert 0.18 < kept < 0.32, kept                            # the same for the warp's two tilts

def test_mult(img, plain):
    strong = dict(OFF, max_rotate=10, p_affine=1.)
    assert torch.allclose(augment_copies(img, 8, **strong, mult=3), augment_copies(img, 8, **{**strong, 'max_rotate': 30}),
                          atol=1e-5)                           # the same draws, three times the angle
    assert not changed(augment_copies(img, 16, do_flip=False, max_zoom=1., mult=0), plain[0])   # rotation, lighting, warp off

def test_flip_vert(img, plain):
    square = plain[0]
    symmetries = [square, square.flip(-1), square.flip(-2), square.flip(-1).flip(-2)]
    symmetries += [s.transpose(-1, -2) for s in symmetries]   # the eight flips and quarter turns of a square
    def symmetry(x): return next(i for i, s in enumerate(symmetries) if torch.allclose(x, s, atol=1e-4))
    assert {symmetry(x) for x in augment_copies(img, 32, **{**OFF, 'do_flip': True})} == {0, 1}   # left-right only
    assert len({symmetry(x) for x in augment_copies(img, 32, **{**OFF, 'do_flip': True, 'flip_vert': True})}) >= 5

def test_pad_mode(img):
    corners = lambda mode: augment_copies(img, 8, **{**OFF, 'max_rotate': 45, 'p_affine': 1., 'pad_mode': mode})[..., :6, :6]
    black = lambda c: c.amax(dim=(1, 2, 3)) == 0              # a copy whose top-left corner is all black
    assert black(corners('zeros')).sum() >= 4                 # most rotations uncover it, and it stays black
    assert black(corners('reflection')).sum() == 0 and black(corners('border')).sum() == 0   # filled from the picture

def test_aug_call():
    assert aug_call() == 'aug_transforms(size=128)'
    assert aug_call(64, max_rotate=45., pad_mode='zeros', do_flip=True) == "aug_transforms(size=64, max_rotate=45, pad_mode='zeros')"
    assert aug_call(mult=2, flip_vert=True) == 'aug_transforms(size=128, flip_vert=True, mult=2)'
    with pytest.raises(ValueError, match='Unknown augmentation options'): aug_call(max_rotation=5)

def test_plot_settings(img):
    fig = plot_settings(img, {'defaults': {}, 'rotate': dict(max_rotate=45)}, n=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 6 and [ax.get_title() for ax in shown] == ['defaults', '', '', 'rotate', '', '']
    assert fig.get_size_inches()[0] <= 12 and fig.get_size_inches()[1] <= 3
    plt.close(fig)
    with pytest.raises(ValueError, match='at least one setting'): plot_settings(img, {})

def controls(w): return {c.description: c for c in w.children[:-1]}   # the last child is the figure's output area

def test_widget(img):
    w = augmentation_widget(img)
    ctrl = controls(w)
    assert list(ctrl) == list(AUG_DEFAULTS) and ctrl['max_rotate'].value == 10
    assert controls(augmentation_widget(img, max_rotate=120))['max_rotate'].value == 120   # not clipped to the usual 90
    assert len([ax for ax in w.result.axes if ax.images]) == 8
    for k, v in OFF.items(): ctrl[k].value = v
    shown = [ax.images[0].get_array().data for ax in w.result.axes if ax.images]
    assert all(np.allclose(s, shown[0], atol=1e-4) for s in shown)       # everything off: eight identical pictures
    ctrl['max_rotate'].value = 45
    shown = [ax.images[0].get_array().data for ax in w.result.axes if ax.images]
    assert not all(np.allclose(s, shown[0], atol=1e-4) for s in shown)
    assert 'max_rotate=45' in w.result._suptitle.get_text()
    with contextlib.redirect_stdout(io.StringIO()) as out: ctrl['pad_mode'].value = 'zeros'
    printed = out.getvalue().split('\r')[-1].strip()   # after the line clears `clear_output` writes when no browser is attached
    assert printed == "aug_transforms(size=128, do_flip=False, max_rotate=45, max_zoom=1,\nmax_lighting=0, max_warp=0, pad_mode='zeros')"
    assert w.result._suptitle.get_text() == printed
    assert controls(augmentation_widget(img, pad_mode='border'))['pad_mode'].value == 'border'
    with pytest.raises(ValueError, match='min_zoom <= max_zoom'): augmentation_widget(img, min_zoom=1.5, max_zoom=1.1)
    plt.close('all')

def test_albumentations_transform(img):
    A = pytest.importorskip('albumentations')
    albu = AlbumentationsTransform(*albumentations_pipelines(64))
    out = albu(img, split_idx=0)
    assert isinstance(out, PILImage) and out.size == (64, 64)
    v1, v2 = albu(img, split_idx=1), albu(img, split_idx=1)
    assert v1.size == (64, 64) and np.array_equal(np.array(v1), np.array(v2))   # validation: same size, same every time
    assert not np.array_equal(np.array(albu(img, split_idx=0)), np.array(albu(img, split_idx=0)))   # training: new draws
    def seeded_draws(seed): set_seed(seed); return [np.array(albu(img, split_idx=0)) for _ in range(3)]
    assert all(np.array_equal(a, b) for a, b in zip(seeded_draws(7), seeded_draws(7)))   # `set_seed` repeats them
    assert not all(np.array_equal(a, b) for a, b in zip(seeded_draws(7), seeded_draws(8)))
    train_only = AlbumentationsTransform(albumentations_pipelines(64)[0])
    assert np.array_equal(np.array(train_only(img, split_idx=1)), np.array(img))   # no validation pipeline: untouched
    gray = AlbumentationsTransform(A.Compose([A.HorizontalFlip(p=1)]))(PILImageBW.create(np.array(img)[..., 0]), split_idx=0)
    assert type(gray) is PILImageBW and np.array_equal(np.array(gray), np.array(img)[:, ::-1, 0])

def test_albumentations_bad_input(img):
    A = pytest.importorskip('albumentations')
    with pytest.raises(TypeError, match='Expected an Albumentations transform'): AlbumentationsTransform('flip')
    with pytest.raises(TypeError, match="with an 'image' entry"): AlbumentationsTransform(lambda image: image)(img, split_idx=0)
    with pytest.raises(TypeError, match='ndarray of float32, not a NumPy array of uint8 pixels'):
        AlbumentationsTransform(A.Compose([A.Normalize()]))(img, split_idx=0)

def test_albumentations_in_a_datablock(synth):
    pytest.importorskip('albumentations')
    dblock = DataBlock(blocks=(ImageOpenBlock, CategoryBlock), get_items=imagenette_files,
                       get_y=ImagenetteLabeller(synth), splitter=GrandparentSplitter(valid_name='val'),
                       item_tfms=[Resize(96), AlbumentationsTransform(*albumentations_pipelines(64))])
    dls = dblock.dataloaders(synth, bs=8, num_workers=0)
    assert dls.train.one_batch()[0].shape == (8, 3, 64, 64)
    v1, v2 = dls.valid.one_batch()[0], dls.valid.one_batch()[0]
    assert v1.shape == (8, 3, 64, 64) and torch.equal(v1, v2)   # validation: resized to the training size, every time alike
    t1, t2 = (dls.train.do_item(0)[0].float() for _ in range(2))   # the first training image, through item_tfms twice
    assert t1.shape == (3, 64, 64) and (t1 - t2).abs().mean() > 1   # a different augmentation each time

def test_images_as_paths_and_pil_images(img, tmp_path):
    "A path, a PIL image or a PILImage, converted to RGB as `PILImage.create` does: the same copies, three channels each"
    from PIL import Image
    fn = tmp_path/'pump.png'
    img.save(fn)
    base = augment_copies(img, 2)
    for other in (fn, str(fn), Image.open(fn), Image.open(fn).convert('RGBA'), PILImage(Image.open(fn).convert('RGBA'))):
        assert torch.equal(augment_copies(other, 2), base)
    assert augment_copies(Image.open(fn).convert('L'), 2).shape == (2, 3, 128, 128)
    fig = plot_augmentations(fn, 2)
    assert len([ax for ax in fig.axes if ax.images]) == 2
    assert len([ax for ax in plot_settings(str(fn), {'defaults': {}}).axes if ax.images]) == 2
    assert len([ax for ax in augmentation_widget(Image.open(fn).convert('RGBA'), n=2).result.axes if ax.images]) == 2
    with pytest.raises(TypeError, match='a file path, a PIL image or a fastai PILImage'): augment_copies(np.array(img), 2)
    with pytest.raises(ValueError, match='Cannot read image'): augment_copies(tmp_path/'none.png', 2)
    plt.close('all')

def test_bad_numbers_are_refused(img):
    for kwargs, message in [(dict(max_lighting=float('nan')), 'max_lighting must be a finite number'),
                            (dict(max_rotate=float('inf')), 'max_rotate must be a finite number'),
                            (dict(min_zoom=float('nan')), 'min_zoom must be a finite number'), (dict(mult='2'), 'mult must be a number'),
                            (dict(do_flip='yes'), 'do_flip must be True or False'), (dict(size=1), 'size must be a whole number of pixels, at least 8'),
                            (dict(size=float('inf')), 'size must be a whole number'), (dict(n=-1), 'n must be at least 1'),
                            (dict(n=2.5), 'n must be a whole number'), (dict(seed=-1), 'seed must be at least 0')]:
        with pytest.raises(ValueError, match=message): augment_copies(img, **{'n': 2, **kwargs})
    with pytest.raises(ValueError, match='max_lighting must be a finite number'): augmentation_widget(img, max_lighting=float('nan'))
    with pytest.raises(ValueError, match='n must be at least 1'): augmentation_widget(img, n=0)
    with pytest.raises(ValueError, match='ncols must be at least 1'): plot_augmentations(img, 2, ncols=0)
    with pytest.raises(ValueError, match='n must be at least 1'): plot_settings(img, {'defaults': {}}, n=-2)
    with pytest.raises(ValueError, match='max_warp must be a finite number'): aug_call(max_warp=float('nan'))

def test_widget_closes_the_figures_it_replaces(img):
    plt.close('all')
    w = augmentation_widget(img, n=2, size=32)
    ctrl = controls(w)
    for i in range(25): ctrl['max_rotate'].value = (i % 9) * 5
    assert plt.get_fignums() == [w.result.number]
    plt.close('all')

def test_sizes_are_checked():
    with pytest.raises(ValueError, match='size must be at least 1'): aug_call(-1)
    pytest.importorskip('albumentations')
    with pytest.raises(ValueError, match='size must be at least 1'): albumentations_pipelines(-1)
