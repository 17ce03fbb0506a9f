"Edge cases and checks of `chapter7.label_smoothing` (05_label_smoothing) beyond the lesson's usage examples"
from functools import partial
import numpy as np, torch, pytest
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import torch.nn.functional as F
from fastai.vision.all import LabelSmoothingCrossEntropy, xresnet18
from fastcore import test as fct   # as a module: pytest would collect its test_* functions
from chapter7.data import get_dls, make_synthetic_imagenette
from chapter7.mixup import one_hot_target
from chapter7.label_smoothing import (check_eps, check_vocab, smooth_targets, plot_smoothed_targets, plot_smoothing_row,
                                      smoothing_widget, optimal_logit_gap, fit_logits, logit_gap_by_step, plot_logit_gaps,
                                      noise_runs, noise_table, class_count, class_index)

@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close('all')

def bar_heights(fig, container=1) -> torch.Tensor:
    return torch.tensor([p.get_height() for p in fig.axes[0].containers[container]])

def test_smooth_targets():
    t = smooth_targets(3, 10, 0.1)
    fct.test_close(t, torch.tensor([0.01] * 3 + [0.91] + [0.01] * 6))
    fct.test_close(t.sum(), 1.)
    fct.test_eq(smooth_targets(1, 5, 0.), one_hot_target(1, 5))
    fct.test_close(smooth_targets(1, 5, 0.1), torch.tensor([0.02, 0.92, 0.02, 0.02, 0.02]))   # the questionnaire's question 13

def test_smooth_targets_refuses_bad_input():
    fct.test_fail(lambda: smooth_targets(3, 10, 1.), contains='ε must be at least 0 and below 1')
    fct.test_fail(lambda: smooth_targets(3, 10, -0.1), contains='ε must be at least 0 and below 1')
    fct.test_fail(lambda: smooth_targets(10, 10, 0.1), contains='out of range')
    fct.test_fail(lambda: smooth_targets(0, 1, 0.1), contains='at least two classes')
    fct.test_eq(check_eps(0), 0.)

def test_check_vocab():
    fct.test_eq(check_vocab(None, 3), None)
    fct.test_eq(check_vocab(['a', 'b'], 2), ['a', 'b'])
    fct.test_fail(lambda: check_vocab(['a', 'b', 'c'], 10), contains='vocab names 3 classes, but n=10')

def test_plot_smoothed_targets():
    fig = plot_smoothed_targets(3, 10, 0.1, [f'class {i}' for i in range(10)])
    fct.test_close(bar_heights(fig, 0), one_hot_target(3, 10))
    fct.test_close(bar_heights(fig), smooth_targets(3, 10, 0.1))
    fct.test_eq(fig.axes[0].get_xticklabels()[3].get_text(), 'class 3')

def test_plot_smoothing_row():
    fig = plot_smoothing_row(3, 10, (0, 0.1, 0.3, 0.6))
    fct.test_eq(len(fig.axes), 4)
    for ax, eps in zip(fig.axes, (0, 0.1, 0.3, 0.6)):
        fct.test_close(torch.tensor([p.get_height() for p in ax.containers[0]]), smooth_targets(3, 10, eps))
    assert fig.axes[1].get_title() == 'ε = 0.1: 0.91, others 0.010'
    fct.test_eq(len(plot_smoothing_row(0, 5, (0.2,)).axes), 1)   # a single panel
    fct.test_fail(lambda: plot_smoothing_row(3, 10, (0.1, 1.)), contains='ε must be')

def test_smoothing_widget(capsys):
    vocab = [f'class {i}' for i in range(10)]
    w = smoothing_widget(3, 10, vocab)
    assert 'target: class 3 0.910 · every other class 0.010' in capsys.readouterr().out
    w.children[0].value = 0.5
    assert 'target: class 3 0.550 · every other class 0.050' in capsys.readouterr().out
    fct.test_close(bar_heights(w.result), smooth_targets(3, 10, 0.5))
    fct.test_close(w.result.axes[0].containers[1][3].get_height(), 0.55)
    fct.test_close(smoothing_widget(3, 10, eps=0.97).children[0].value, 0.97)   # a valid ε beyond the slider's usual range is kept

def test_smoothing_widget_refuses_bad_input():
    fct.test_fail(lambda: smoothing_widget(eps=1.2), contains='ε must be')
    fct.test_fail(lambda: smoothing_widget(label=12), contains='out of range')
    fct.test_fail(lambda: smoothing_widget(0, n=1), contains='at least two classes')
    fct.test_fail(lambda: smoothing_widget(1, 10, vocab=['a', 'b', 'c']), contains='vocab names 3 classes, but n=10')

@pytest.mark.parametrize('eps', [0., 0.1, 0.3])
def test_fastai_loss_is_cross_entropy_against_smoothed_targets(eps):
    torch.manual_seed(0)
    logits, labels = torch.randn(16, 10) * 3, torch.randint(0, 10, (16,))
    targets = torch.stack([smooth_targets(int(y), 10, eps) for y in labels])
    loss = LabelSmoothingCrossEntropy(eps=eps)(logits, labels)
    fct.test_close(loss, -(targets * F.log_softmax(logits, dim=-1)).sum(-1).mean(), eps=1e-5)
    fct.test_close(loss, F.cross_entropy(logits, targets), eps=1e-5)
    fct.test_close(loss, F.cross_entropy(logits, labels, label_smoothing=eps), eps=1e-5)

def test_optimal_logit_gap():
    fct.test_close(optimal_logit_gap(0.1, 10), np.log(0.91 / 0.01))
    fct.test_eq(optimal_logit_gap(0., 10), float('inf'))
    assert optimal_logit_gap(0.1, 1000) > optimal_logit_gap(0.1, 10) > optimal_logit_gap(0.3, 10)
    fct.test_fail(lambda: optimal_logit_gap(0.1, 1), contains='at least two classes')
    fct.test_fail(lambda: optimal_logit_gap(1., 10), contains='ε must be')

def test_logits_settle_only_with_smoothing():
    fct.test_eq(fit_logits(smooth_targets(0, 10, 0.1), steps=5).shape, (5, 10))   # the logits after each step
    gaps = {eps: logit_gap_by_step(eps, 10, steps=3000) for eps in (0., 0.1, 0.3)}
    fct.test_eq(gaps[0.1].shape, (3000,))
    fct.test_close(gaps[0.1][-1], optimal_logit_gap(0.1, 10), eps=0.05)
    fct.test_close(gaps[0.3][-1], optimal_logit_gap(0.3, 10), eps=0.05)
    assert gaps[0.][-1] > gaps[0.][len(gaps[0.]) // 2] > optimal_logit_gap(0.1, 10)   # still growing with one-hot targets
    fig = plot_logit_gaps(gaps, 10)
    fct.test_eq(len(fig.axes[0].lines), 3 + 2)   # a line per ε, and a dashed optimum for each ε above 0

def test_noise_runs_on_synthetic_data(tmp_path):
    "The mechanics on four easy synthetic classes (chance 0.25): runs in order, a table per noise level and loss"
    synth = make_synthetic_imagenette(tmp_path/'synth', n_train=24, n_valid=8, n_classes=4, size=40)
    runs = noise_runs(partial(get_dls, path=synth, presize=40, seed=42, num_workers=0), noise_levels=(0, 25), bs=16, size=32,
                      arch=xresnet18, epochs=3, lr=1e-2)
    fct.test_eq(runs[['noise', 'loss']].values.tolist(), [[n, l] for n in (0, 25) for l in ('cross-entropy', 'label smoothing ε=0.1')])
    assert {'accuracy', 'error_rate', 'seconds', 'train_images_per_sec'} <= set(runs.columns)
    tbl = noise_table(runs)
    fct.test_eq(tbl.shape, (2, 2))
    fct.test_eq(tbl.loc[25, 'label smoothing ε=0.1'], runs.accuracy.iloc[3])
    assert (tbl.values > 0.4).all(), tbl   # a quarter of the labels wrong still leaves the right one the most common

def test_noise_runs_refuses_bad_input(tmp_path):
    fct.test_fail(lambda: noise_runs(None, eps=1.), contains='ε must be')
    fct.test_fail(lambda: noise_runs(None, noise_levels=()), contains='at least one noise level')
    synth = make_synthetic_imagenette(tmp_path/'synth', n_train=4, n_valid=2, n_classes=2, size=32)
    fct.test_fail(lambda: noise_runs(partial(get_dls, path=synth), noise_levels=(10,), bs=4, size=24), contains='noise')

def test_smoothing_widget_counts_the_classes_of_its_vocab(capsys):
    "The number of classes comes from `vocab`, and the label defaults to the first class"
    w = smoothing_widget(vocab=['a', 'b', 'c'])
    assert 'target: a 0.933 · every other class 0.033' in capsys.readouterr().out
    fct.test_close(bar_heights(w.result), smooth_targets(0, 3, 0.1))
    assert [t.get_text() for t in w.result.axes[0].get_xticklabels()] == ['a', 'b', 'c']
    smoothing_widget('c', vocab=['a', 'b', 'c'])   # or a class by its name
    assert 'target: c 0.933' in capsys.readouterr().out
    smoothing_widget(vocab=['cat', 'dog'], eps=0.5)
    assert 'target: cat 0.750 · every other class 0.250' in capsys.readouterr().out
    fct.test_eq(len(smoothing_widget().result.axes[0].containers[1]), 10)   # no vocab: ten classes
    fct.test_fail(lambda: smoothing_widget('d', vocab=['a', 'b', 'c']), contains="Unknown class 'd'")
    fct.test_fail(lambda: smoothing_widget(vocab=['a']), contains='at least two classes')

def test_class_count():
    fct.test_eq(class_count(None, list('abc')), 3)
    fct.test_eq(class_count(5, None), 5)
    fct.test_eq(class_count(None, None, default=10), 10)
    fct.test_fail(lambda: class_count(None, None), contains='Give n, the number of classes, or vocab')
    fct.test_fail(lambda: class_count(4, list('abc')), contains='vocab names 3 classes, but n=4')
    fct.test_fail(lambda: class_count(2.5, None), contains='at least two classes')
    fct.test_eq(class_index('b', list('abc')), 1)
    fct.test_fail(lambda: class_index('b'), contains="Unknown class 'b'")

@pytest.mark.parametrize('n', [2, 3, 10, 20, 21, 37, 100])
def test_figures_readable_for_2_to_100_classes(n):
    vocab = [f'class {i}' for i in range(n)]
    fig = plot_smoothed_targets(n - 1, eps=0.1, vocab=vocab)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == min(n, 20) and f'class {n - 1}' in ticks   # the right class always shown
    assert ('of the' in fig.axes[0].get_title()) == (n > 20)
    fct.test_close(max(p.get_height() for p in fig.axes[0].containers[1]), 1 - 0.1 + 0.1 / n)
    row = plot_smoothing_row(0, n, (0, 0.3))
    for ax in row.axes: assert len(ax.containers[0]) == min(n, 20)
    assert (row._suptitle is not None) == (n > 20)
    plt.close('all')

def test_plot_logit_gaps_needs_the_number_of_classes():
    gaps = {0.1: logit_gap_by_step(0.1, 37, steps=50)}
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'n'"): plot_logit_gaps(gaps)
    ax = plot_logit_gaps(gaps, 37).axes[0]
    fct.test_close(ax.lines[1].get_ydata()[0], optimal_logit_gap(0.1, 37))
    assert '37 classes' in ax.get_title()
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'n'"): logit_gap_by_step(0.1)
    fct.test_fail(lambda: plot_logit_gaps({}, 10), contains='at least one ε')
    fct.test_fail(lambda: plot_logit_gaps(gaps, 1), contains='at least two classes')

def test_fit_logits_refuses_bad_input():
    t = smooth_targets(0, 5, 0.1)
    for kwargs, message in [(dict(steps=0), 'steps must be at least 1'), (dict(steps=-3), 'steps must be at least 1'),
                            (dict(steps=2.5), 'steps must be a whole number'), (dict(lr=float('nan')), 'lr must be a finite number'),
                            (dict(lr=float('inf')), 'lr must be a finite number'), (dict(lr=0), 'lr must be above 0')]:
        fct.test_fail(lambda: fit_logits(t, **kwargs), contains=message)
    fct.test_fail(lambda: fit_logits(t[None]), contains='1-d tensor of probabilities')
    fct.test_fail(lambda: fit_logits(torch.ones(1)), contains='1-d tensor of probabilities')
    fct.test_fail(lambda: optimal_logit_gap(0.1, 2.5), contains='at least two classes')
    fct.test_fail(lambda: smooth_targets(0, 10, float('nan')), contains='ε must be')
    fct.test_fail(lambda: plot_smoothing_row(0, 10, ()), contains='at least one ε')

def test_smoothing_widget_closes_the_figures_it_replaces():
    plt.close('all')
    w = smoothing_widget(vocab=[f'class {i}' for i in range(37)])
    for i in range(25): w.children[0].value = (i % 19) / 20
    assert plt.get_fignums() == [w.result.number]

def test_noise_runs_calls_its_builder_as_get_dls(tmp_path):
    "The builder is called as `dls_fn(bs, size, noise=...)`; the old one-argument builder is refused with a clear error"
    class Built(Exception): pass
    calls = []
    def builder(bs, size, **kwargs): calls.append((bs, size, kwargs)); raise Built
    with pytest.raises(Built): noise_runs(builder, noise_levels=(5,))
    fct.test_eq(calls, [(64, 128, {'noise': 5})])   # `get_dls`'s batch and image sizes unless told
    with pytest.raises(Built): noise_runs(builder, noise_levels=(25,), bs=16, size=32)
    fct.test_eq(calls[-1], (16, 32, {'noise': 25}))
    with pytest.raises(TypeError, match='the helper passes bs and size itself'): noise_runs(partial(get_dls, 64, 128), noise_levels=(5,))
    with pytest.raises(TypeError, match='cannot be called as dls_fn'): noise_runs(lambda noise: None, noise_levels=(5,))
