"`chapter7.mixup` as installed: mixing images and targets, the λ and α widgets and figures, mixed batches and CutMix"
import matplotlib
matplotlib.use('Agg')
import pytest
import torch
import matplotlib.pyplot as plt
from fastai.vision.all import Learner, MixUp, CutMix, CrossEntropyLossFlat, accuracy, tensor, xresnet18, PILImage, get_image_files
from chapter7.data import make_synthetic_imagenette, get_dls, class_name, IMAGENETTE_CLASSES, open_image
from chapter7.mixup import *

@pytest.fixture(scope='module')
def synth(tmp_path_factory):
    return make_synthetic_imagenette(tmp_path_factory.mktemp('data')/'imagenette2-160', n_train=30, n_valid=10,
                                     n_classes=10, size=64)

@pytest.fixture(scope='module')
def dls(synth): return get_dls(16, 48, path=synth, seed=42, num_workers=0)

@pytest.fixture(scope='module')
def pair(synth):
    "The first church and gas pump of the training set, their labels, and the class names"
    vocab = [class_name(w) for w in sorted(IMAGENETTE_CLASSES)]
    return first_image(synth, CHURCH), first_image(synth, GAS_PUMP), vocab.index('church'), vocab.index('gas pump'), vocab

def heights(fig, ax=3): return tensor([p.get_height() for p in fig.axes[ax].patches])

def test_mix_targets():
    assert torch.equal(mix_targets(4, 4, 10, 0.3), one_hot_target(4, 10))   # an image mixed with its own class
    assert mix_targets(2, 7, 10, 0.3).sum() == 1.
    assert torch.allclose(mix_images(torch.ones(3, 2, 2), torch.zeros(3, 2, 2), 0.3), torch.full((3, 2, 2), 0.3))
    assert torch.equal(one_hot_target(tensor(2), 3), tensor([0., 0, 1]))   # a label taken from a batch is fine

def test_bad_inputs_fail_clearly():
    with pytest.raises(ValueError, match='λ must be between 0 and 1'): mix_targets(2, 7, 10, 1.5)
    with pytest.raises(ValueError, match='λ must be between 0 and 1'): mix_targets(2, 7, 10, -0.1)
    with pytest.raises(ValueError, match='out of range'): mix_targets(2, 12, 10, 0.3)
    with pytest.raises(ValueError, match='at least two classes'): one_hot_target(0, 1)
    with pytest.raises(ValueError, match='same shape'): mix_images(torch.zeros(3, 4, 4), torch.zeros(3, 5, 4), 0.5)
    with pytest.raises(ValueError, match='λ must be one number'): mix_images(torch.zeros(2, 3), torch.ones(2, 3), tensor([0.2, 0.7]))
    for bad in (1.5, True, '1', tensor([1, 2])):
        with pytest.raises(ValueError, match='A label must be a whole number'): one_hot_target(bad, 3)
    with pytest.raises(ValueError, match='The number of classes must be a whole number'): one_hot_target(1, 3.0)

def test_first_image(synth, pair):
    church = pair[0]
    assert church.shape == (3, 256, 256) and 0 <= church.min() and church.max() <= 1
    assert first_image(synth, CHURCH, size=32).shape == (3, 32, 32)
    with pytest.raises(FileNotFoundError, match='No training images of class n99'): first_image(synth, 'n99')

def test_plot_mixup_draws_the_mix_and_its_target(pair):
    church, gas, ci, gi, vocab = pair
    fig = plot_mixup(church, gas, 0.3, ci, gi, vocab)
    assert torch.allclose(heights(fig), mix_targets(ci, gi, 10, 0.3))
    mixed = mix_images(church, gas, 0.3)
    assert torch.allclose(mixed, 0.3*church + 0.7*gas, atol=1e-5)
    assert torch.allclose(torch.as_tensor(fig.axes[2].images[0].get_array().data), mixed.permute(1, 2, 0), atol=1e-5)
    assert tuple(fig.get_size_inches()) == (12, 3)
    plt.close('all')

def test_describe_target():
    assert describe_target(mix_targets(2, 7, 10, 0.3), list('abcdefghij')) == 'h 0.70 · c 0.30'

def test_mixup_widget_follows_its_slider(pair):
    church, gas, ci, gi, vocab = pair
    w = mixup_widget(church, gas, ci, gi, vocab)
    slider = w.children[0]
    assert (slider.min, slider.max, slider.value) == (0, 1, 0.3)
    slider.value = 0.8
    assert torch.allclose(heights(w.result), mix_targets(ci, gi, 10, 0.8))
    with pytest.raises(ValueError, match='λ must be between 0 and 1'): mixup_widget(church, gas, ci, gi, vocab, lam=2)
    with pytest.raises(ValueError, match='out of range'): mixup_widget(church, gas, ci, 10, vocab)
    with pytest.raises(ValueError, match='same shape'): mixup_widget(church, gas[:, :9], ci, gi, vocab)
    plt.close('all')

def test_plot_mixes(pair):
    church, gas = pair[:2]
    fig = plot_mixes(church, gas)
    assert [ax.get_title() for ax in fig.axes] == ['λ = 0', 'λ = 0.3', 'λ = 0.7', 'λ = 1']
    assert torch.allclose(torch.as_tensor(fig.axes[0].images[0].get_array().data), gas.permute(1, 2, 0), atol=1e-5)
    assert torch.allclose(torch.as_tensor(fig.axes[3].images[0].get_array().data), church.permute(1, 2, 0), atol=1e-5)
    assert len(plot_mixes(church, gas, (0.5,)).axes) == 1
    with pytest.raises(ValueError, match='λ must be between 0 and 1'): plot_mixes(church, gas, (0, 2))
    plt.close('all')

def test_sample_lambdas():
    lam, used = sample_lambdas(0.4)
    assert abs(lam.mean() - 0.5) < 0.02
    assert (used >= 0.5).all() and (used <= 1).all()
    assert ((lam < 0.1) | (lam > 0.9)).float().mean() > 0.4   # small α: mostly near 0 or 1
    assert sample_lambdas(4.)[0].std() < lam.std()                 # larger α: closer to even blends
    assert torch.equal(sample_lambdas(0.4)[0], lam)                # the seed repeats the draws
    with pytest.raises(ValueError, match='alpha must be positive'): sample_lambdas(0)

def test_alpha_widget_follows_its_slider():
    aw = alpha_widget()
    assert aw.children[0].value == pytest.approx(0.4)
    counts = [p.get_height() for p in aw.result.axes[0].patches]
    assert sum(counts) == 10_000
    aw.children[0].value = 5.0
    wide = [p.get_height() for p in aw.result.axes[0].patches]
    assert wide[0] + wide[-1] < counts[0] + counts[-1]   # fewer draws at the extremes with a larger α
    assert alpha_widget(20).children[0].value == pytest.approx(20)     # beyond the usual 0.1 to 10, the slider widens
    assert alpha_widget(0.05).children[0].value == pytest.approx(0.05)
    with pytest.raises(ValueError, match='alpha must be positive'): alpha_widget(0)
    plt.close('all')

def test_plot_alphas():
    fig = plot_alphas((0.1, 2))
    assert [ax.get_title() for ax in fig.axes] == ['α = 0.1', 'α = 2']
    small, large = ([p.get_height() for p in ax.patches] for ax in fig.axes)
    assert sum(small) == sum(large) == 10_000 and small[0] > large[0]
    with pytest.raises(ValueError, match='alpha must be positive'): plot_alphas((0.4, -1))
    plt.close('all')

def test_mixed_batch(dls):
    learn = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy)
    x, x0, lam = mixed_batch(learn, MixUp(0.4))
    assert ((lam >= 0.5) & (lam <= 1)).all() and not torch.allclose(x, x0)
    show_mixed_batch(learn, MixUp(0.4), max_n=4, nrows=1, ncols=4)
    plt.close('all')

def test_mixed_batch_leaves_the_learner_as_it_was(dls):
    "Even when the callback fails; and a Learner's own mixing callback stays attached"
    class FailingMixUp(MixUp):
        def before_batch(self): raise RuntimeError('cannot mix')
    def state(learn): return [id(learn.loss_func), *map(id, learn.cbs), *(id(vars(learn).get(k)) for k in ('dl', 'training', 'epoch'))]
    fresh = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy)   # no batch seen yet: no `dl`, `training` or `epoch` set
    before = state(fresh)
    with pytest.raises(RuntimeError, match='cannot mix'): mixed_batch(fresh, FailingMixUp(0.4))
    assert state(fresh) == before
    mixed_batch(fresh, MixUp(0.4))
    assert state(fresh) == before
    own = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy, cbs=MixUp(0.4))
    x, x0, lam = mixed_batch(own, own.mix_up)
    assert own.mix_up.learn is own and type(own.loss_func) is CrossEntropyLossFlat
    assert ((lam >= 0.5) & (lam <= 1)).all() and not torch.allclose(x, x0)

def test_fastai_cutmix_pastes_one_rectangle(dls):
    learn = Learner(dls, xresnet18(n_out=dls.c), metrics=accuracy)
    torch.manual_seed(0)
    x, x0, lam = mixed_batch(learn, CutMix(1.))
    changed = (x != x0).any(dim=1).float().mean(dim=(1, 2))   # share of each image that was pasted over
    assert 0 < float(lam) < 1
    # every image lost the same rectangle, 1-λ of its area (an image shuffled onto itself keeps its pixels)
    assert abs(changed.max() - (1 - lam)) < 0.01
    assert (changed <= 1 - lam + 0.01).all() and (changed > 0).float().mean() > 0.5

def test_cutmix_images():
    x1, x2 = torch.zeros(3, 40, 60), torch.ones(3, 40, 60)
    for seed in range(20):
        for lam in (0.3, 0.7, 0.95):
            out, kept = cutmix_images(x1, x2, lam, generator=torch.Generator().manual_seed(seed))
            assert 1 - out[0].mean() == pytest.approx(kept)   # the λ returned is the share of `x1` left
            assert kept >= lam - 0.05                         # the box covers at most about 1-λ
            pasted = out[0].nonzero()
            if len(pasted):                                   # one rectangle, taken from the same place in `x2`
                (t, l), (b, r) = pasted.min(0).values, pasted.max(0).values + 1
                assert out[:, t:b, l:r].eq(1).all() and len(pasted) == (b - t) * (r - l)
    assert torch.equal(cutmix_images(x1, x2, 1.)[0], x1)       # λ = 1: nothing pasted
    assert cutmix_images(x1, x2, 1.)[1] == 1
    mid = torch.Generator().manual_seed(0)
    assert cutmix_images(x1, x2, 0.5, generator=mid)[0].shape == x1.shape
    a = cutmix_images(x1, x2, 0.5, generator=torch.Generator().manual_seed(3))
    b = cutmix_images(x1, x2, 0.5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and a[1] == b[1]            # a seeded generator repeats the box
    batch, _ = cutmix_images(torch.zeros(4, 3, 8, 8), torch.ones(4, 3, 8, 8), 0.5)
    assert (batch.mean(dim=(1, 2, 3)) == batch[0].mean()).all()   # a batch: the same box in every image
    assert torch.equal(x1, torch.zeros(3, 40, 60))              # the inputs are left as they were
    with pytest.raises(ValueError, match='same shape'): cutmix_images(x1, x2[:, :20], 0.5)
    with pytest.raises(ValueError, match='λ must be between 0 and 1'): cutmix_images(x1, x2, 1.5)

def test_training_helpers_still_import_from_mixup():
    import chapter7.learner, chapter7.mixup
    assert chapter7.mixup.fit_and_score is chapter7.learner.fit_and_score
    assert chapter7.mixup.TrainThroughput is chapter7.learner.TrainThroughput

def test_figures_take_paths_and_pil_images(synth, pair, tmp_path):
    "Paths, PIL images and PILImages work as the images of every figure, converted to RGB and to the first one's size"
    from PIL import Image
    church, gas, ci, gi, vocab = pair
    rgba = Image.new('RGBA', (30, 20), (255, 0, 0, 0)); rgba.save(tmp_path/'red.png')
    fn = get_image_files(synth/'train'/CHURCH).sorted()[0]
    for img in (fn, str(fn), open_image(fn), rgba, PILImage(rgba.copy()), tmp_path/'red.png'):
        x1, x2 = image_pair(img, gas)
        assert x1.shape[0] == 3 and x1.dtype == torch.float32 and x1.max() <= 1 and x2.shape == gas.shape
        x1, x2 = image_pair(church, img)   # squashed to the first image's size
        assert x2.shape == church.shape
        assert len(plot_mixup(img, gas, 0.3, ci, gi, vocab).axes) == 4
        assert len(plot_mixes(church, img).axes) == 4
        plt.close('all')
    assert image01(tmp_path/'red.png')[:, 0, 0].tolist() == [1, 0, 0]   # transparent red is red, as fastai opens it
    w = mixup_widget(fn, tmp_path/'red.png', ci, gi, vocab)
    assert w.result.axes[1].images[0].get_array().shape[:2] == w.result.axes[0].images[0].get_array().shape[:2]
    with pytest.raises(TypeError, match='a file path, a PIL image or a fastai PILImage'): plot_mixup(3, gas, 0.3, ci, gi, vocab)
    with pytest.raises(ValueError, match='shaped \\(channels, height, width\\)'): plot_mixes(church[0], gas[0])
    plt.close('all')

@pytest.mark.parametrize('n', [2, 10, 37, 100])
def test_mixed_target_readable_for_many_classes(n):
    vocab = [f'class {i}' for i in range(n)]
    x = torch.rand(3, 8, 8)
    fig = plot_mixup(x, x, 0.3, 0, n - 1, vocab)
    ax = fig.axes[3]
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert len(shown) == min(n, 20) and {'class 0', f'class {n - 1}'} <= set(shown)   # the two mixed classes always shown
    assert ('top 20 of' in ax.get_title()) == (n > 20)
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(1.)
    plt.close('all')

def test_shown_classes():
    assert shown_classes(tensor([0.1, 0.5, 0.4]), 20) == [0, 1, 2]
    assert shown_classes(tensor([0., 0.5, 0., 0.5, 0.]), 3) == [0, 1, 3]   # the largest, then the first of the ties, in order
    with pytest.raises(ValueError, match='max_classes must be at least 1'): shown_classes(tensor([1.]), 0)

def test_widgets_close_the_figures_they_replace(pair):
    church, gas, ci, gi, vocab = pair
    plt.close('all')
    w, aw = mixup_widget(church, gas, ci, gi, vocab), alpha_widget()
    for i in range(25): w.children[0].value = (i % 20) / 20; aw.children[0].value = 0.2 + i / 10
    assert sorted(plt.get_fignums()) == sorted([w.result.number, aw.result.number])
    plt.close('all')

def test_non_finite_and_negative_numbers_are_refused(pair):
    church, gas, ci, gi, vocab = pair
    for bad, message in [(float('inf'), 'alpha must be a finite number'), (float('nan'), 'alpha must be a finite number'),
                         ('0.4', 'alpha must be a number')]:
        with pytest.raises(ValueError, match=message): alpha_widget(bad)
        with pytest.raises(ValueError, match=message): sample_lambdas(bad)
    for kwargs, message in [(dict(n=-1), 'n must be at least 1'), (dict(n=0), 'n must be at least 1'), (dict(n=2.5), 'n must be a whole number'),
                            (dict(seed=-1), 'seed must be at least 0')]:
        with pytest.raises(ValueError, match=message): sample_lambdas(0.4, **kwargs)
        with pytest.raises(ValueError, match=message): plot_lambdas(0.4, **kwargs)
    with pytest.raises(ValueError, match='at least one α'): plot_alphas(())
    with pytest.raises(ValueError, match='at least one λ'): plot_mixes(church, gas, ())
    with pytest.raises(ValueError, match='λ must be a finite number'): plot_mixup(church, gas, float('nan'), ci, gi, vocab)
    with pytest.raises(ValueError, match='λ must be a number'): check_lambda('0.3')
    with pytest.raises(ValueError, match='size must be at least 1'): first_image('.', CHURCH, size=0)
    with pytest.raises(ValueError, match='have a height and a width'): cutmix_images(torch.zeros(5), torch.zeros(5), 0.5)

def test_describe_target_needs_a_name_per_class():
    with pytest.raises(ValueError, match='target has 3 values, but vocab names 2 classes'): describe_target(tensor([0.5, 0.5, 0.]), ['a', 'b'])
