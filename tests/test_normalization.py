"`chapter7.normalization` as installed: batch statistics, `renormalized`, and the with/without-normalization runs"
import numpy as np
import pytest
from fastai.vision.all import Normalize, imagenet_stats, first, xresnet18
from fastcore.test import test_close as assert_close   # renamed: pytest would collect a `test_` name
from chapter7.data import make_synthetic_imagenette, get_dls, batch_stats
from chapter7.normalization import renormalized, train_with_and_without_normalize

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=24, n_valid=12,
                                     n_classes=4, size=48)

def synth_dls(synth, normalize=True, seed=42):
    "Batches of 32-pixel synthetic images, with or without ImageNet normalization"
    return get_dls(16, 32, path=synth, presize=40, normalize=normalize, seed=seed, num_workers=0)

@pytest.fixture(scope='module')
def runs(synth):
    "Two epochs of an xresnet18 on the synthetic images, with and without normalization"
    return train_with_and_without_normalize(lambda normalize: synth_dls(synth, normalize), epochs=2, arch=xresnet18)

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
        train_with_and_without_normalize(lambda normalize: synth_dls(synth, normalize), epochs=0)
