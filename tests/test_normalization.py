"`chapter7.normalization` as installed: batch statistics, `renormalized`, and the with/without-normalization runs"
from functools import partial
import numpy as np
import pytest
from fastai.vision.all import Normalize, imagenet_stats, first, xresnet18
from fastcore.test import test_close as assert_close   # renamed: pytest would collect a `test_` name
from chapter7.data import make_synthetic_imagenette, get_dls, batch_stats
import torch
from fastai.vision.all import PILImage
from chapter7.normalization import renormalized, train_with_and_without_normalize
from chapter7.core import check_number, check_seed, closing_previous
from chapter7.data import build_dls, check_dls_fn, as_rgb_image

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=24, n_valid=12,
                                     n_classes=4, size=48)

def synth_dls(synth, normalize=True, seed=42):
    "Batches of 32-pixel synthetic images, with or without ImageNet normalization"
    return get_dls(16, 32, path=synth, presize=40, normalize=normalize, seed=seed, num_workers=0)

def synth_builder(synth):
    "The same, as a builder called `dls_fn(bs, size, **kwargs)` like `get_dls`"
    return partial(get_dls, path=synth, presize=40, seed=42, num_workers=0)

@pytest.fixture(scope='module')
def runs(synth):
    "Two epochs of an xresnet18 on the synthetic images, with and without normalization"
    return train_with_and_without_normalize(synth_builder(synth), epochs=2, arch=xresnet18, bs=16, size=32)

def test_names_that_used_to_live_here_still_import():
    from chapter7.normalization import check_precision, reseed, set_precision, seeded_learner
    assert all(map(callable, (check_precision, reseed, set_precision, seeded_learner)))

def test_batch_stats_of_synthetic_images(synth):
    "Stripe images are darker than the average photo: before, in [0, 1]; after, ImageNet's statistics put their means below 0"
    st = batch_stats(synth_dls(synth))
    assert st.loc['mean before'].between(0.2, 0.7).all() and st.loc['std before'].between(0.1, 0.45).all(), st
    assert st.loc['mean after'].between(-1.5, 0).all() and st.loc['std after'].between(0.5, 2).all(), st
    assert_close(st.loc['std after'].values, st.loc['std before'].values / np.array(imagenet_stats[1]), eps=1e-4)

def test_renormalized(synth):
    "Same statistics, same batch; none, the raw batch `Normalize` was given; other transforms untouched"
    dls = synth_dls(synth)
    xb = dls.valid.one_batch()[0]
    assert_close(renormalized(dls.valid, imagenet_stats).one_batch()[0], xb, eps=1e-5)
    raw = renormalized(dls.valid).one_batch()[0]
    norm = first(t for t in dls.valid.after_batch.fs if isinstance(t, Normalize))
    assert_close(raw, norm.decode(xb), eps=1e-5)
    assert 0 <= raw.min() and raw.max() <= 1
    assert len(dls.valid.after_batch.fs) == len(renormalized(dls.valid).after_batch.fs) + 1
    assert [type(t) for t in renormalized(dls.valid, ([0.5]*3, [0.5]*3)).after_batch.fs] == [type(t) for t in dls.valid.after_batch.fs]

def test_train_with_and_without_normalize(runs):
    res, learners = runs
    assert list(res.index) == ['normalized', 'not normalized']
    assert list(res.columns) == ['train_loss', 'valid_loss', 'accuracy', 'seconds']
    assert (res.accuracy >= 0.6).all(), res   # four classes: guessing scores 0.25
    assert type(learners['normalized'].dls.after_batch.fs[-1]) is Normalize
    assert not any(isinstance(t, Normalize) for t in learners['not normalized'].dls.after_batch.fs)

def test_trained_model_needs_its_statistics(runs):
    "The normalized model, shown its validation images without `Normalize`, loses much of its accuracy"
    model = runs[1]['normalized']
    with model.no_bar():
        matched = model.validate(dl=renormalized(model.dls.valid, imagenet_stats))[1]
        forgot = model.validate(dl=renormalized(model.dls.valid, None))[1]
    assert matched >= 0.6, matched
    assert forgot <= matched - 0.2, (matched, forgot)

def test_epochs_must_be_positive(synth):
    with pytest.raises(ValueError, match='at least 1'):
        train_with_and_without_normalize(synth_builder(synth), epochs=0)

def test_build_dls_calls_the_builder_as_get_dls(synth):
    "Every helper that rebuilds DataLoaders calls `dls_fn(bs, size, **kwargs)`: `get_dls`, a partial of it, or your own"
    dls = build_dls(synth_builder(synth), 8, 24, normalize=False)
    assert dls.one_batch()[0].shape == (8, 3, 24, 24)
    assert not any(isinstance(t, Normalize) for t in dls.after_batch.fs)
    def mine(bs, size, **kwargs): return get_dls(bs, size, path=synth, presize=40, num_workers=0, **kwargs)
    assert build_dls(mine, 8, 24).one_batch()[0].shape == (8, 3, 24, 24)
    assert check_dls_fn(get_dls, 64, 128, noise=5) is get_dls

def test_build_dls_refuses_other_builders(synth):
    with pytest.raises(TypeError, match='the helper passes bs and size itself'): build_dls(partial(get_dls, 16, 32), 16, 32)
    with pytest.raises(TypeError, match='dls_fn must be a function called as dls_fn\\(bs, size'): build_dls(None, 16, 32)
    with pytest.raises(TypeError, match="cannot be called as dls_fn\\(16, 32, normalize=False\\)"):
        build_dls(lambda normalize: synth_dls(synth, normalize), 16, 32, normalize=False)   # the old one-argument builder
    with pytest.raises(TypeError, match='cannot be called as dls_fn\\(16, 32\\)'): build_dls(partial(get_dls, bs=8), 16, 32)
    with pytest.raises(TypeError, match='must return fastai DataLoaders, got list'): build_dls(lambda bs, size: [], 16, 32)

def test_train_with_and_without_normalize_passes_bs_and_size(runs):
    for learn in runs[1].values(): assert learn.dls.one_batch()[0].shape == (16, 3, 32, 32)

def test_train_with_and_without_normalize_refuses_bad_input(synth):
    b = synth_builder(synth)
    for kwargs, message in [(dict(epochs=1.5), 'epochs must be a whole number'), (dict(lr=float('inf')), 'lr must be a finite number'),
                            (dict(lr=0), 'lr must be above 0'), (dict(seed=-1), 'seed must be at least 0'),
                            (dict(epochs=float('nan')), 'epochs must be a whole number')]:
        with pytest.raises(ValueError, match=message): train_with_and_without_normalize(b, **kwargs)
    with pytest.raises(TypeError, match='cannot be called as dls_fn'):
        train_with_and_without_normalize(lambda normalize: synth_dls(synth, normalize), epochs=1)   # before any training

def test_check_number_and_seed():
    assert check_number(3, 'n', 1, whole=True) == 3 and check_number(np.int64(2), 'n', whole=True) == 2
    assert check_number(torch.tensor(0.5), 'p', 0, 1) == 0.5
    for v, kwargs, message in [(float('nan'), {}, 'x must be a finite number, got nan'), (float('inf'), {}, 'finite'),
                               (True, {}, 'x must be a number, got True'), ('3', {}, 'a number'), (2.5, dict(whole=True), 'a whole number'),
                               (0, dict(lo=1), 'x must be at least 1, got 0'), (5, dict(lo=1, hi=3), 'at least 1 and at most 3'),
                               (0, dict(above=0), 'x must be above 0, got 0')]:
        with pytest.raises(ValueError, match=message): check_number(v, 'x', **kwargs)
    assert check_seed(0) == 0 and check_seed(2**32 - 1) == 2**32 - 1
    for bad in (-1, 2**32, 1.5, float('nan')):
        with pytest.raises(ValueError, match='seed must be'): check_seed(bad)

def test_as_rgb_image(tmp_path):
    from PIL import Image
    rgba = Image.new('RGBA', (12, 8), (255, 0, 0, 128))
    rgba.save(tmp_path/'red.png')
    for img in (rgba, PILImage(rgba.copy()), Image.new('L', (12, 8)), Image.new('P', (12, 8)), tmp_path/'red.png', str(tmp_path/'red.png')):
        im = as_rgb_image(img)
        assert isinstance(im, PILImage) and im.mode == 'RGB' and im.size == (12, 8)
    assert np.array(as_rgb_image(tmp_path/'red.png'))[0, 0].tolist() == [255, 0, 0]   # the alpha dropped, as fastai opens files
    with pytest.raises(TypeError, match='img must be an image: a file path, a PIL image or a fastai PILImage, got int'): as_rgb_image(3)
    with pytest.raises(ValueError, match='Cannot read image'): as_rgb_image(tmp_path/'missing.png')

def test_closing_previous():
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    plt.close('all')
    @closing_previous
    def draw(x=1):
        "draws"
        fig, ax = plt.subplots(); ax.plot([x]); return fig
    for i in range(25): fig = draw(i)
    assert plt.get_fignums() == [fig.number] and draw.__doc__ == 'draws'
    plt.close('all')

def test_renormalized_refuses_bad_stats(synth):
    with pytest.raises(ValueError, match='stats must be \\(mean, std\\)'): renormalized(synth_dls(synth).valid, [0.5, 0.5, 0.5])
